import { appIdOf } from '../config.ts';
import type { StsPolicy, UploadRecord } from '../ports.ts';

/**
 * The CAM policy (version 2.0) bound into an upload's temporary keys. It names one object, exactly,
 * and grants only the actions that put bytes into it; Initiate, Complete and Abort stay with the
 * server, which checks the parts before it assembles them.
 */

export const UPLOAD_PART = 'name/cos:UploadPart';
export const LIST_PARTS = 'name/cos:ListParts';

export type PolicyUpload = Pick<
  UploadRecord,
  'strategy' | 'bucket' | 'region' | 'key' | 'partSize' | 'size' | 'contentType'
>;

export interface UploadGrant {
  policy: StsPolicy;
  /** The actions granted, in the order API.md lists them (`allow` of the credentials answer). */
  allow: string[];
}

/**
 * `qcs::cos:<region>:uid/<appid>:<bucket>/<key>`. CAM treats `*` in a resource as a wildcard, so a
 * key holding one would grant other objects: the core's sanitizer never produces one and this is
 * the last line of defence — refuse rather than widen.
 */
export function cosObjectResource(region: string, bucket: string, key: string): string {
  for (const [what, value] of [
    ['region', region],
    ['bucket', bucket],
    ['key', key],
  ] as const) {
    if (value.length === 0) throw new Error(`STS policy: empty ${what}`);
    if (value.includes('*')) throw new Error(`STS policy: refusing a wildcard (*) in the ${what}`);
  }
  if (!/^\d+$/.test(appIdOf(bucket))) throw new Error('STS policy: bucket must end in -<APPID>');
  return `qcs::cos:${region}:uid/${appIdOf(bucket)}:${bucket}/${key}`;
}

const positiveInt = (n: number | null, what: string): number => {
  if (n === null || !Number.isSafeInteger(n) || n < 0)
    throw new Error(`STS policy: ${what} must be a known byte count`);
  return n;
};

/**
 * UploadPart with `cos:content-length` ≤ partSize, and ListParts (so an SDK can resume) in its own
 * statement — ListParts carries no Content-Length, and CAM evaluates a condition on a missing key
 * as false, so sharing UploadPart's statement would deny it. A single upload is part 1 of a
 * one-part multipart upload whose partSize is its size: the same grant, and no PutObject, which
 * could overwrite the completed object or add headers the server never set.
 */
export function uploadPolicy(u: PolicyUpload): UploadGrant {
  const resource = [cosObjectResource(u.region, u.bucket, u.key)];
  const partSize = positiveInt(u.partSize, 'partSize');
  if (partSize === 0) throw new Error('STS policy: partSize must be positive');
  return {
    allow: [UPLOAD_PART, LIST_PARTS],
    policy: {
      version: '2.0',
      statement: [
        {
          effect: 'allow',
          action: [UPLOAD_PART],
          resource,
          condition: { numeric_less_than_equal: { 'cos:content-length': partSize } },
        },
        { effect: 'allow', action: [LIST_PARTS], resource },
      ],
    },
  };
}

/** The `Policy` parameter of GetFederationToken / AssumeRole: the JSON, URL-encoded as STS expects. */
export const encodePolicy = (policy: StsPolicy): string => encodeURIComponent(JSON.stringify(policy));
