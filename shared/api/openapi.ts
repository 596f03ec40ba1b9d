import * as z from '../zod.ts';
import * as a from './admin-schemas.ts';
import { credentialsResponse } from './credentials-schemas.ts';
import * as s from './schemas.ts';

// Only the openapi function imports this module, so only it carries zod's JSON Schema generator.
type Schema = z.ZodMiniType;
const json = (schema: Schema) => ({
  'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) },
});
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((st) => [String(st), { description: 'contract error', content: json(s.errorBody) }]));
const ok = (status: number, schema: Schema | null, description = 'OK') => ({
  [String(status)]: schema ? { description, content: json(schema) } : { description },
});
const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
const adminListParams = Object.entries(a.adminListQuery.shape).map(([name, schema]) => ({
  name,
  in: 'query',
  required: false,
  schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
}));
const op = (summary: string, responses: object, extra: object = {}) => ({
  summary,
  security: [{ bearer: [] }],
  responses,
  ...extra,
});
const body = (schema: Schema, required = true) => ({ requestBody: { required, content: json(schema) } });

/** The OpenAPI 3.1 document, generated from the same zod schemas the handlers validate with. */
export function openApiDocument(extraPaths: Record<string, object> = {}) {
  return {
    openapi: '3.1.0',
    info: { title: 'COS upload coordination API', version: '1.0.0' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths: {
      '/healthz': { get: { summary: 'Liveness', responses: ok(200, z.object({ ok: z.literal(true) })) } },
      '/v1/uploads': {
        post: op(
          'Create an upload session',
          { ...ok(201, s.uploadResponse), ...errors(400, 401, 413, 415, 429, 503) },
          body(s.createUploadBody),
        ),
      },
      '/v1/uploads/{id}': {
        get: op(
          'Get an upload and its recorded parts',
          { ...ok(200, s.getUploadResponse), ...errors(401, 404) },
          { parameters: idParam },
        ),
        delete: op(
          'Abort an upload',
          { ...ok(204, null, 'aborted'), ...errors(401, 404, 409, 503) },
          { parameters: idParam },
        ),
      },
      '/v1/uploads/{id}/part-urls': {
        post: op(
          'Presigned part URLs',
          { ...ok(200, s.partUrlsResponse), ...errors(400, 401, 404, 409, 413) },
          { parameters: idParam, ...body(s.partUrlsBody) },
        ),
      },
      '/v1/uploads/{id}/parts': {
        put: op(
          'Record part ETags',
          { ...ok(200, s.recordPartsResponse), ...errors(400, 401, 404, 409) },
          { parameters: idParam, ...body(s.recordPartsBody) },
        ),
      },
      '/v1/uploads/{id}/complete': {
        post: op(
          'Complete an upload',
          { ...ok(200, s.uploadResponse), ...errors(400, 401, 404, 409, 503) },
          { parameters: idParam, ...body(s.completeBody.def.innerType, false) },
        ),
      },
      '/v1/uploads/{id}/credentials': {
        post: op(
          'STS temporary keys scoped to this upload',
          { ...ok(200, credentialsResponse), ...errors(400, 401, 404, 409, 502, 503) },
          { parameters: idParam },
        ),
      },
      '/v1/admin/uploads': {
        get: op(
          'List uploads of every owner (admin)',
          { ...ok(200, a.adminListResponse), ...errors(400, 401, 403) },
          { parameters: adminListParams },
        ),
      },
      '/v1/admin/uploads/{id}': {
        delete: op(
          'Abort an upload of any owner (admin)',
          { ...ok(204, null, 'aborted'), ...errors(401, 403, 404, 409, 503) },
          { parameters: idParam },
        ),
      },
      '/v1/admin/sweep': {
        post: op(
          'Sweep stale and expired uploads and orphan COS uploads (admin)',
          { ...ok(200, a.sweepResponse), ...errors(400, 401, 403, 503) },
          body(a.sweepBody.def.innerType, false),
        ),
      },
      ...extraPaths,
    },
  };
}
