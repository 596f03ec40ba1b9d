import { appIdOf } from '../config.ts';
import type { TemporaryKeyGrant } from '../core/temporary-key-grant.ts';

/**
 * The core's TemporaryKeyGrant as a Tencent CAM policy (version 2.0, CAM doc 598/10603): one
 * object, exactly, and only the granted actions.
 */

/** A Tencent CAM policy (version 2.0). */
export interface StsPolicy {
  version: '2.0';
  statement: {
    effect: 'allow' | 'deny';
    action: string[];
    resource: string[];
    condition?: Record<string, Record<string, string | number>>;
  }[];
}

const UPLOAD_PART = 'name/cos:UploadPart';
const LIST_PARTS = 'name/cos:ListParts';

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

/**
 * UploadPart with `cos:content-length` ≤ the grant's bound, and ListParts in its own statement:
 * ListParts carries no Content-Length, and CAM evaluates a condition on a missing key as false,
 * so sharing UploadPart's statement would deny it.
 */
export function camPolicy(grant: TemporaryKeyGrant): StsPolicy {
  const { region, bucket, key } = grant.object;
  const resource = [cosObjectResource(region, bucket, key)];
  const statement: StsPolicy['statement'] = [];
  if (grant.actions.includes('UploadPart')) {
    statement.push({
      effect: 'allow',
      action: [UPLOAD_PART],
      resource,
      condition: { numeric_less_than_equal: { 'cos:content-length': grant.maxPartBytes } },
    });
  }
  if (grant.actions.includes('ListParts')) statement.push({ effect: 'allow', action: [LIST_PARTS], resource });
  return { version: '2.0', statement };
}

/** The `Policy` parameter of GetFederationToken / AssumeRole: the JSON, URL-encoded as STS expects. */
export const encodePolicy = (policy: StsPolicy): string => encodeURIComponent(JSON.stringify(policy));
