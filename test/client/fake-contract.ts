import { expect, onTestFinished } from 'vitest';
import type { ZodMiniType } from 'zod/mini';
import {
  completeBatchBody,
  completeBody,
  createBatchBodyDoc,
  createUploadBody,
  partUrlsBody,
  recordPartsBody,
  uploadIdParams,
} from '../../shared/api/schemas.ts';
import {
  completeBatchResponse,
  createBatchResponse,
  createUploadResponse,
  errorBody,
  getUploadResponse,
  partUrlsResponse,
  recordPartsResponse,
  uploadResponse,
} from '../../shared/api/response-schemas.ts';

/**
 * The fake backend held to the contract's own schemas (shared/api/schemas.ts, what the handlers
 * validate with, and response-schemas.ts; /v1/openapi.json is generated from both): a request the client builds that the
 * server would refuse, or an answer the fake gives that the server could not, is a violation,
 * and every test that built a fake fails on one — whatever the test itself asserts.
 */

/** The API routes the fake serves. */
export type Route = 'create' | 'get' | 'partUrls' | 'record' | 'complete' | 'delete' | 'batchCreate' | 'batchComplete';

/** Request bodies, as the handlers parse them (get and delete have none). */
const REQUESTS: Partial<Record<Route, ZodMiniType>> = {
  create: createUploadBody,
  partUrls: partUrlsBody,
  record: recordPartsBody,
  complete: completeBody,
  // The route checks each item on its own, but a client sending an invalid item has a bug.
  batchCreate: createBatchBodyDoc,
  batchComplete: completeBatchBody,
};

/** Success bodies; delete answers 204 without one. */
const RESPONSES: Record<Route, ZodMiniType | null> = {
  create: createUploadResponse,
  get: getUploadResponse,
  partUrls: partUrlsResponse,
  record: recordPartsResponse,
  complete: uploadResponse,
  delete: null,
  batchCreate: createBatchResponse,
  batchComplete: completeBatchResponse,
};

/** The statuses a success answers with, per route. */
const SUCCESS: Record<Route, readonly number[]> = {
  // 200: a dedupe hit.
  create: [200, 201],
  get: [200],
  partUrls: [200],
  record: [200],
  complete: [200, 202],
  delete: [204],
  batchCreate: [200],
  batchComplete: [200],
};

const describeIssues = (issues: readonly { path: readonly PropertyKey[]; message: string }[]) =>
  issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');

/**
 * Keys `raw` has that `parsed` lost: zod objects drop keys they do not list, which would let the
 * fake send a field the server's schema (so the real server) never does.
 */
function unlisted(raw: unknown, parsed: unknown, at = ''): string[] {
  if (Array.isArray(raw) && Array.isArray(parsed)) return raw.flatMap((v, i) => unlisted(v, parsed[i], `${at}[${i}]`));
  if (!isObject(raw) || !isObject(parsed)) return [];
  return Object.entries(raw).flatMap(([k, v]) =>
    Object.hasOwn(parsed, k) ? unlisted(v, parsed[k], `${at}.${k}`) : [`${at}.${k}`.slice(1)],
  );
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Records contract violations and fails the running test if there were any. */
export class ContractCheck {
  /** One line per violation: the route, what was wrong. */
  readonly violations: string[] = [];

  constructor() {
    // Built inside a test (every fake is): checked when that test ends.
    onTestFinished(() => {
      expect(this.violations, 'the fake backend saw requests or sent answers outside the contract').toEqual([]);
    });
  }

  /**
   * Whether the path's upload id has the server's shape. A malformed id is the caller's input, not
   * the client's mistake: the server answers 400, and so does the fake, without a violation.
   */
  validId(id: string): boolean {
    return uploadIdParams.safeParse({ id }).success;
  }

  /** The issues of a request body the server would refuse (recorded), or null. */
  request(route: Route, body: unknown): string | null {
    const schema = REQUESTS[route];
    if (!schema) return null;
    const parsed = schema.safeParse(body);
    if (parsed.success) return null;
    const issues = describeIssues(parsed.error.issues);
    this.violations.push(`${route} request: ${issues}`);
    return issues;
  }

  /** Checks an answer the fake is about to send: status, and body against the route's schema. */
  response(route: Route, status: number, body: unknown): void {
    const schema = status >= 400 ? errorBody : SUCCESS[route].includes(status) ? RESPONSES[route] : undefined;
    if (schema === undefined) {
      this.violations.push(`${route} answered ${status}, not one of ${SUCCESS[route].join('/')}`);
      return;
    }
    if (schema === null) {
      if (body !== null) this.violations.push(`${route} answered ${status} with a body`);
      return;
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      this.violations.push(`${route} ${status} answer: ${describeIssues(parsed.error.issues)}`);
      return;
    }
    const extra = unlisted(body, parsed.data);
    if (extra.length > 0) this.violations.push(`${route} ${status} answer has unlisted fields: ${extra.join(', ')}`);
  }
}
