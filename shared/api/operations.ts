import type { ErrorCode } from '../errors.ts';
import type * as z from '../zod.ts';
import * as ar from './admin-response-schemas.ts';
import * as a from './admin-schemas.ts';
import { credentialsBody, credentialsResponse } from './credentials-schemas.ts';
import * as r from './response-schemas.ts';
import * as s from './schemas.ts';

/**
 * Every route of docs/API.md once: what it takes, what it answers on success and which error codes it
 * can answer with. The OpenAPI document is generated from this table and the integration test
 * client parses every answer with it, so the document describes what the tests saw. Only those
 * two import it: no Lambda bundle carries every schema.
 */

export interface SuccessResponse {
  /** null: no body (204). */
  schema: z.ZodMiniType | null;
  description: string;
  headers?: Readonly<Record<string, { description: string; schema: { type: 'integer' | 'string' } }>>;
}

export interface Operation {
  /** local/routes.ts's `fn` in camelCase (a test holds them together). */
  operationId: string;
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  /** As the function's route() spec says; it decides 401 and 403. */
  auth: 'none' | 'user' | 'admin';
  params?: typeof s.uploadIdParams | typeof a.eventIdParams;
  query?: typeof a.adminListQuery | typeof a.adminEventsQuery;
  /** What the function validates the body with (an optional schema: the body may be left out). */
  body?: z.ZodMiniType;
  success: Readonly<Record<number, SuccessResponse>>;
  /**
   * The codes the route's core and adapters can throw, read from the code. The pipeline's own
   * (auth, JSON body, validation: see `errorCodes`) are added from `auth` and the schemas.
   */
  errors: readonly ErrorCode[];
}

const ok = (schema: z.ZodMiniType, description = 'OK'): SuccessResponse => ({ schema, description });
const NO_CONTENT: SuccessResponse = { schema: null, description: 'aborted (also when it already was)' };

export const OPERATIONS: readonly Operation[] = [
  {
    operationId: 'healthz',
    method: 'get',
    path: '/healthz',
    summary: 'Liveness (calls no dependency)',
    auth: 'none',
    success: { 200: ok(r.healthzResponse) },
    errors: [],
  },
  {
    operationId: 'openapi',
    method: 'get',
    path: '/v1/openapi.json',
    summary: 'This document',
    // No token: a client generator or a new user reads it before having one.
    auth: 'none',
    success: { 200: ok(r.openApiResponse, 'the OpenAPI 3.1 document') },
    errors: [],
  },
  {
    operationId: 'limits',
    method: 'get',
    path: '/v1/limits',
    summary: 'The limits a create is held to, so clients plan without guessing',
    auth: 'none',
    success: { 200: ok(r.limitsResponse) },
    errors: [],
  },
  {
    operationId: 'createUpload',
    method: 'post',
    path: '/v1/uploads',
    summary: 'Create an upload session',
    auth: 'user',
    body: s.createUploadBody,
    // 201 even for a 0-byte file, which is born completed; 200 only for a dedupe hit.
    success: {
      201: ok(r.createUploadResponse, 'created (with `urls` for parts 1..presign when asked)'),
      200: ok(r.createUploadResponse, '`dedupe`: an existing completed upload of the same file; nothing created'),
    },
    errors: [
      'UPLOAD_TOO_LARGE',
      'CONTENT_TYPE_NOT_ALLOWED',
      'TOO_MANY_OPEN_UPLOADS',
      'IDEMPOTENCY_KEY_IN_USE',
      'IDEMPOTENCY_KEY_REUSED',
      'STORAGE_UNAVAILABLE',
      'STORE_UNAVAILABLE',
    ],
  },
  {
    operationId: 'createBatch',
    method: 'post',
    path: '/v1/uploads/batch',
    summary: 'Create 1–100 upload sessions; each item answers as create would, failing alone',
    auth: 'user',
    // The route checks the envelope and then each item on its own (an invalid item is its own error).
    body: s.createBatchBodyDoc,
    success: { 200: ok(r.createBatchResponse, 'one result per item, in order') },
    // Item errors are in the body; these fail the whole call (the quota count, the store).
    errors: ['STORE_UNAVAILABLE'],
  },
  {
    operationId: 'completeBatch',
    method: 'post',
    path: '/v1/uploads/batch-complete',
    summary: 'Complete 1–100 uploads; each item answers as complete would (possibly `completing`)',
    auth: 'user',
    body: s.completeBatchBody,
    success: { 200: ok(r.completeBatchResponse, 'one result per id, in order') },
    errors: [],
  },
  {
    operationId: 'getUpload',
    method: 'get',
    path: '/v1/uploads/{id}',
    summary: 'Get an upload and its recorded parts',
    auth: 'user',
    params: s.uploadIdParams,
    success: { 200: ok(r.getUploadResponse) },
    errors: ['NOT_FOUND', 'STORE_UNAVAILABLE'],
  },
  {
    operationId: 'abortUpload',
    method: 'delete',
    path: '/v1/uploads/{id}',
    summary: 'Abort an upload',
    auth: 'user',
    params: s.uploadIdParams,
    success: { 204: NO_CONTENT },
    errors: ['NOT_FOUND', 'UPLOAD_NOT_OPEN', 'STORAGE_UNAVAILABLE', 'STORE_UNAVAILABLE'],
  },
  {
    operationId: 'partUrls',
    method: 'post',
    path: '/v1/uploads/{id}/part-urls',
    summary: 'Presigned part URLs',
    auth: 'user',
    params: s.uploadIdParams,
    body: s.partUrlsBody,
    // Presigning is local: no COS call, so no STORAGE_UNAVAILABLE.
    success: { 200: ok(r.partUrlsResponse) },
    errors: ['NOT_FOUND', 'UPLOAD_NOT_OPEN', 'UPLOAD_TOO_LARGE', 'STORE_UNAVAILABLE'],
  },
  {
    operationId: 'recordParts',
    method: 'put',
    path: '/v1/uploads/{id}/parts',
    summary: 'Record part ETags',
    auth: 'user',
    params: s.uploadIdParams,
    body: s.recordPartsBody,
    success: { 200: ok(r.recordPartsResponse) },
    errors: ['NOT_FOUND', 'UPLOAD_NOT_OPEN', 'STORE_UNAVAILABLE'],
  },
  {
    operationId: 'completeUpload',
    method: 'post',
    path: '/v1/uploads/{id}/complete',
    summary: 'Complete an upload',
    auth: 'user',
    params: s.uploadIdParams,
    body: s.completeBody,
    success: {
      200: ok(r.uploadResponse, 'completed'),
      202: {
        schema: r.uploadResponse,
        description: 'COS is still merging: the upload is `completing` and GET shows when it is done',
        headers: {
          'Retry-After': { description: 'seconds until it is worth asking again', schema: { type: 'integer' } },
        },
      },
    },
    // A merge that failed after an earlier 202 answers its lastError, with 409 (PARTS_INVALID);
    // content verification's verdict is 409 CONTENT_MISMATCH.
    errors: [
      'NOT_FOUND',
      'UPLOAD_NOT_OPEN',
      'PARTS_INVALID',
      'CONTENT_MISMATCH',
      'STORAGE_UNAVAILABLE',
      'STORE_UNAVAILABLE',
    ],
  },
  {
    operationId: 'composeUpload',
    method: 'post',
    path: '/v1/uploads/compose',
    summary: "A new upload made inside COS from the owner's completed uploads (Upload Part - Copy)",
    auth: 'user',
    body: s.composeBody,
    success: {
      200: ok(r.uploadResponse, 'completed'),
      202: {
        schema: r.uploadResponse,
        description: 'COS is still copying or merging: the upload is `completing` and GET shows when it is done',
        headers: {
          'Retry-After': { description: 'seconds until it is worth asking again', schema: { type: 'integer' } },
        },
      },
    },
    // NOT_FOUND: a source that is unknown or another owner's. A copy that failed answers 409 PARTS_INVALID.
    errors: [
      'NOT_FOUND',
      'UPLOAD_NOT_COMPLETED',
      'UPLOAD_NOT_OPEN',
      'PARTS_INVALID',
      'UPLOAD_TOO_LARGE',
      'CONTENT_TYPE_NOT_ALLOWED',
      'TOO_MANY_OPEN_UPLOADS',
      'IDEMPOTENCY_KEY_IN_USE',
      'IDEMPOTENCY_KEY_REUSED',
      'STORAGE_UNAVAILABLE',
      'STORE_UNAVAILABLE',
    ],
  },
  {
    operationId: 'appendUrl',
    method: 'post',
    path: '/v1/uploads/{id}/append-url',
    summary: 'A presigned APPEND Object for the next piece of an append upload',
    auth: 'user',
    params: s.uploadIdParams,
    body: s.appendUrlBody,
    success: { 200: ok(r.appendUrlResponse) },
    errors: [
      'NOT_FOUND',
      'UPLOAD_NOT_OPEN',
      'APPEND_POSITION_MISMATCH',
      'UPLOAD_TOO_LARGE',
      'STORAGE_UNAVAILABLE',
      'STORE_UNAVAILABLE',
    ],
  },
  {
    operationId: 'credentials',
    method: 'post',
    path: '/v1/uploads/{id}/credentials',
    summary: 'STS temporary keys scoped to this upload',
    auth: 'user',
    params: s.uploadIdParams,
    body: credentialsBody,
    success: {
      200: {
        schema: credentialsResponse,
        description: 'OK',
        headers: { 'Cache-Control': { description: '`no-store`: the body holds secrets', schema: { type: 'string' } } },
      },
    },
    // INTERNAL: a deployment with no STS issuer configured says so with a 500.
    errors: ['NOT_FOUND', 'UPLOAD_NOT_OPEN', 'INTERNAL', 'STORAGE_UNAVAILABLE', 'STORE_UNAVAILABLE'],
  },
  {
    operationId: 'downloadUrl',
    method: 'post',
    path: '/v1/uploads/{id}/download-url',
    summary: 'A presigned GET for a completed upload (owner or admin)',
    auth: 'user',
    params: s.uploadIdParams,
    body: s.downloadUrlBody,
    success: { 200: ok(r.downloadUrlResponse) },
    errors: ['NOT_FOUND', 'UPLOAD_NOT_COMPLETED', 'STORE_UNAVAILABLE'],
  },
  {
    operationId: 'adminListUploads',
    method: 'get',
    path: '/v1/admin/uploads',
    summary: 'List uploads of every owner (admin)',
    auth: 'admin',
    query: a.adminListQuery,
    success: { 200: ok(ar.adminListResponse) },
    errors: ['STORE_UNAVAILABLE'],
  },
  {
    operationId: 'adminAbortUpload',
    method: 'delete',
    path: '/v1/admin/uploads/{id}',
    summary: 'Abort an upload of any owner (admin)',
    auth: 'admin',
    params: s.uploadIdParams,
    success: { 204: NO_CONTENT },
    errors: ['NOT_FOUND', 'UPLOAD_NOT_OPEN', 'STORAGE_UNAVAILABLE', 'STORE_UNAVAILABLE'],
  },
  {
    operationId: 'adminSweep',
    method: 'post',
    path: '/v1/admin/sweep',
    summary: 'Sweep stale and expired uploads, re-drive dead completions, abort orphan COS uploads (admin)',
    auth: 'admin',
    body: a.sweepBody,
    // One failed action is counted in `errors`; a failed listing (store or COS) fails the run.
    success: { 200: ok(ar.sweepResponse) },
    errors: ['STORAGE_UNAVAILABLE', 'STORE_UNAVAILABLE'],
  },
  {
    operationId: 'adminQuotaRepair',
    method: 'post',
    path: '/v1/admin/quota-repair',
    summary: "Recompute an owner's quota counters from its uploads (admin)",
    auth: 'admin',
    body: a.quotaRepairBody,
    success: { 200: ok(ar.quotaRepairResponse) },
    errors: ['STORE_UNAVAILABLE'],
  },
  {
    operationId: 'adminListEvents',
    method: 'get',
    path: '/v1/admin/events',
    summary: 'List webhook events and their delivery (admin)',
    auth: 'admin',
    query: a.adminEventsQuery,
    success: { 200: ok(ar.adminEventsResponse) },
    errors: ['STORE_UNAVAILABLE'],
  },
  {
    operationId: 'adminRedeliverEvent',
    method: 'post',
    path: '/v1/admin/events/{id}/redeliver',
    summary: 'Queue a webhook event again, due now (admin)',
    auth: 'admin',
    params: a.eventIdParams,
    success: { 202: ok(ar.redeliverResponse, 'queued: the deliverer sends it') },
    errors: ['NOT_FOUND', 'STORE_UNAVAILABLE'],
  },
];

/**
 * Every code an operation can answer with: route() runs every route through the JSON body parser
 * (MALFORMED_JSON, PAYLOAD_TOO_LARGE), authenticates unless `auth` is 'none', and validates what
 * it has a schema for; then the route's own.
 */
export function errorCodes(op: Operation): ErrorCode[] {
  const codes: ErrorCode[] = ['MALFORMED_JSON', 'PAYLOAD_TOO_LARGE'];
  if (op.auth !== 'none') codes.push('UNAUTHORIZED');
  if (op.auth === 'admin') codes.push('FORBIDDEN');
  if (op.params || op.query || op.body) codes.push('VALIDATION_FAILED');
  return [...new Set([...codes, ...op.errors])];
}
