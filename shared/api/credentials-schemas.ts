import * as z from '../zod.ts';

const int = () => z.number().check(z.int());
const unixSeconds = () => int().check(z.describe('unix seconds'));

/** `POST /v1/uploads/{id}/credentials` (docs/API.md): no body, or an empty object. */
export const credentialsBody = z.optional(z.strictObject({}));

export const credentialsResponse = z.object({
  credentials: z.object({ tmpSecretId: z.string(), tmpSecretKey: z.string(), sessionToken: z.string() }),
  startTime: unixSeconds(),
  expiredTime: unixSeconds(),
  expiration: z.iso.datetime().check(z.describe('ISO-8601 UTC')),
  bucket: z.string(),
  region: z.string(),
  key: z.string(),
  // A single upload has one too: it is part 1 of a one-part multipart upload (docs/API.md).
  uploadId: z.string().check(z.describe('COS multipart UploadId')),
  partSize: int(),
  partCount: z.nullable(int()),
  allow: z.array(z.string()),
});
export type CredentialsResponse = z.output<typeof credentialsResponse>;
