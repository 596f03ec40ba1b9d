import { describe, expect, it } from 'vitest';
import { EVENT_ID_PATTERN } from '../../shared/api/admin-schemas.ts';
import { ERROR_STATUSES } from '../../shared/api/error-statuses.ts';
import { openApiDocument } from '../../shared/api/openapi.ts';
import { OPERATIONS } from '../../shared/api/operations.ts';
import { UPLOAD_ID_PATTERN } from '../../shared/api/schemas.ts';
import { errorBody } from '../../shared/api/response-schemas.ts';
import * as e from '../../shared/errors.ts';
import * as z from '../../shared/zod.ts';
import { ROUTES } from '../../local/routes.ts';

interface Op {
  operationId: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required: boolean; schema: { pattern?: string } }[];
  responses: Record<string, { description: string; content?: { 'application/json': { schema: unknown } } }>;
}

// The document as a client downloads it.
const doc = JSON.parse(JSON.stringify(openApiDocument())) as {
  components: { schemas: Record<string, unknown> };
  paths: Record<string, Record<string, Op>>;
};
const opOf = (method: string, path: string): Op | undefined => doc.paths[path]?.[method.toLowerCase()];
const camel = (fn: string) => fn.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
const statuses = (op: Op) => Object.keys(op.responses).filter((k) => k !== 'default');

describe('the OpenAPI document', () => {
  it('has one operation per route of local/routes.ts, named after its function, and no other', () => {
    for (const r of ROUTES) {
      expect(opOf(r.method, r.path)?.operationId, `${r.method} ${r.path}`).toBe(camel(r.fn));
    }
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(ROUTES.length);
  });

  it('gives every {id} the upload id pattern (an event id on the events routes), on every operation that has one', () => {
    const withId = ROUTES.filter((r) => r.path.includes('{id}'));
    expect(withId.length).toBeGreaterThan(5);
    for (const r of withId) {
      const param = opOf(r.method, r.path)?.parameters?.find((p) => p.name === 'id');
      expect(param, `${r.method} ${r.path}`).toMatchObject({ in: 'path', required: true });
      const pattern = r.path.startsWith('/v1/admin/events/') ? EVENT_ID_PATTERN : UPLOAD_ID_PATTERN;
      expect(param?.schema.pattern).toBe(pattern.source);
    }
  });

  it('lists the success statuses each route really answers with', () => {
    expect(statuses(opOf('POST', '/v1/uploads')!)).toContain('201');
    // 200 is a dedupe hit alone (nothing created), never a fresh upload.
    expect(opOf('POST', '/v1/uploads')!.responses['200']!.description).toContain('dedupe');
    const complete = opOf('POST', '/v1/uploads/{id}/complete')!;
    expect(statuses(complete)).toEqual(expect.arrayContaining(['200', '202']));
    expect(complete.responses['202']).toMatchObject({ headers: { 'Retry-After': { schema: { type: 'integer' } } } });
    for (const path of ['/v1/uploads/{id}', '/v1/admin/uploads/{id}']) {
      const del = opOf('DELETE', path)!;
      expect(del.responses['204']).toBeDefined();
      expect(del.responses['204']!.content).toBeUndefined();
    }
  });

  it('answers every error status with the error body, and 401/403 where auth says', () => {
    const { $schema: _dialect, ...error } = z.toJSONSchema(errorBody, { io: 'output' });
    expect(doc.components.schemas.Error).toEqual(error);
    for (const r of ROUTES) {
      const op = opOf(r.method, r.path)!;
      const errors = Object.entries(op.responses).filter(([k]) => k === 'default' || Number(k) >= 400);
      for (const [status, res] of errors) {
        expect(res.content?.['application/json'].schema, `${r.fn} ${status}`).toEqual({
          $ref: '#/components/schemas/Error',
        });
      }
      const spec = OPERATIONS.find((o) => o.operationId === op.operationId)!;
      expect(statuses(op).includes('401'), `${r.fn} 401`).toBe(spec.auth !== 'none');
      expect(statuses(op).includes('403'), `${r.fn} 403`).toBe(spec.auth === 'admin');
      expect(op.security !== undefined, `${r.fn} security`).toBe(spec.auth !== 'none');
    }
    expect(opOf('POST', '/v1/uploads/{id}/complete')!.responses['409']!.description).toContain('PARTS_INVALID');
    expect(statuses(opOf('POST', '/v1/uploads')!)).toEqual(
      expect.arrayContaining(['409', '413', '415', '422', '429', '503']),
    );
    expect(statuses(opOf('POST', '/v1/uploads/{id}/credentials')!)).toEqual(
      expect.arrayContaining(['404', '409', '500', '502', '503']),
    );
  });
});

describe('ERROR_STATUSES', () => {
  it('is what the error family sends: each code with each status its factories use', () => {
    const made = [
      e.validationFailed([]),
      e.malformedJson(),
      e.payloadTooLarge(1),
      e.unauthorized(),
      e.forbidden(),
      e.notFound(),
      e.uploadNotOpen('aborted'),
      e.uploadNotCompleted('open'),
      e.appendPositionMismatch(0, 1),
      e.partsInvalid({ missing: [1], wrongSize: [], etagMismatch: [] }),
      e.uploadTooLarge('too large'),
      e.contentTypeNotAllowed('text/html'),
      e.tooManyOpenUploads(1),
      e.contentMismatch('image/png', null),
      e.idempotencyKeyInUse(),
      e.idempotencyKeyReused(),
      e.notConfigured('issuing temporary credentials'),
      e.storageUnavailable(),
      e.storageUnavailable('garbage', undefined, 502),
      e.storageRejected('Other', 'refused'),
      e.storeUnavailable(),
    ];
    const pairs = (list: [string, readonly number[]][]) => list.flatMap(([code, st]) => st.map((s) => `${code} ${s}`));
    expect(new Set(made.map((x) => `${x.code} ${x.status}`))).toEqual(new Set(pairs(Object.entries(ERROR_STATUSES))));
  });
});
