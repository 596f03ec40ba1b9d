import { z } from 'zod';

/** `POST /v1/uploads/{id}/credentials` (API.md): no body, or an empty object. */
export const credentialsBody = z.strictObject({}).optional();

export const credentialsResponse = z.object({
  credentials: z.object({ tmpSecretId: z.string(), tmpSecretKey: z.string(), sessionToken: z.string() }),
  startTime: z.number().int().describe('unix seconds'),
  expiredTime: z.number().int().describe('unix seconds'),
  expiration: z.string().describe('ISO-8601 UTC'),
  bucket: z.string(),
  region: z.string(),
  key: z.string(),
  uploadId: z.string().nullable().describe('COS multipart UploadId; null for a single PUT'),
  partSize: z.number().int(),
  partCount: z.number().int().nullable(),
  allow: z.array(z.string()),
});
