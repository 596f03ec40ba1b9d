import { invalidArgument } from './cos-error.ts';

export type CosOp =
  | 'PutObject'
  | 'HeadObject'
  | 'GetObject'
  | 'DeleteObject'
  | 'InitiateMultipartUpload'
  | 'UploadPart'
  | 'ListParts'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListMultipartUploads'
  | 'UploadPartCopy'
  | 'PutObjectCopy'
  | 'AppendObject'
  | 'GetFederationToken'
  | 'AssumeRole';

export const COS_OPS: readonly CosOp[] = [
  'PutObject',
  'HeadObject',
  'GetObject',
  'DeleteObject',
  'InitiateMultipartUpload',
  'UploadPart',
  'ListParts',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'ListMultipartUploads',
  'UploadPartCopy',
  'PutObjectCopy',
  'AppendObject',
  'GetFederationToken',
  'AssumeRole',
];

export type FaultAction =
  | { type: 'error'; status?: number; code?: 'ServiceUnavailable' | 'SlowDown' | 'InternalError' }
  | { type: 'delay'; ms: number }
  | { type: 'drop' }
  | { type: 'completeError'; code?: string }
  /**
   * Complete validates as usual and answers 200 at once, but the merge takes `ms`: whitespace
   * flows meanwhile and the upload reads as gone (see merges.ts). COS merges can take minutes
   * (436/7742; cos-python-sdk-v5 gives Complete a 20-minute timeout).
   */
  | { type: 'slowMerge'; ms: number }
  /**
   * Drops `x-cos-hash-crc64ecma` from that one response: COS returns a completed object's CRC64
   * only when every part has one (436/43320), so a client must cope with its absence.
   */
  | { type: 'noCrc64' };

/** Operations each action can apply to; an action absent here applies to any operation. */
const ACTION_OPS: Partial<Record<FaultAction['type'], readonly CosOp[]>> = {
  completeError: ['CompleteMultipartUpload'],
  slowMerge: ['CompleteMultipartUpload'],
  noCrc64: ['CompleteMultipartUpload', 'HeadObject', 'GetObject', 'UploadPart', 'PutObject'],
};

export interface FaultRule {
  op?: CosOp;
  method?: string;
  keyPrefix?: string;
  /** How many matching requests fail (default 1; Infinity allowed in-process). */
  count?: number;
  /** 0..1, default 1: each matching request fails with this chance. */
  probability?: number;
  action: FaultAction;
}

export interface FaultInjector {
  add(rule: FaultRule): void;
  clear(): void;
  /** Requests a fault was applied to, since start. */
  readonly hits: number;
}

export interface FaultTarget {
  op: CosOp;
  method: string;
  key: string;
}

interface LiveRule {
  rule: FaultRule;
  remaining: number;
}

/**
 * In-process fault table. Rules are tried in the order added; the first that matches and wins its
 * coin toss fires and uses up one of its count. `completeError` and `slowMerge` only ever match
 * Complete (the one operation that answers before it is done), `noCrc64` only the operations that
 * answer a CRC64: a rule never burns its count on a request it cannot affect.
 */
export class Faults implements FaultInjector {
  private rules: LiveRule[] = [];
  private applied = 0;
  private readonly random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  get hits(): number {
    return this.applied;
  }

  add(rule: FaultRule): void {
    this.rules.push({ rule: validateRule(rule), remaining: rule.count ?? 1 });
  }

  clear(): void {
    this.rules = [];
  }

  /** The action to apply to this request, or null; counts the hit. */
  take(t: FaultTarget): FaultAction | null {
    for (const live of this.rules) {
      const r = live.rule;
      if (live.remaining <= 0) continue;
      if (r.op !== undefined && r.op !== t.op) continue;
      if (r.method !== undefined && r.method.toUpperCase() !== t.method.toUpperCase()) continue;
      if (r.keyPrefix !== undefined && !t.key.startsWith(r.keyPrefix)) continue;
      const ops = ACTION_OPS[r.action.type];
      if (ops && !ops.includes(t.op)) continue;
      if (r.probability !== undefined && this.random() >= r.probability) continue;
      live.remaining--;
      this.rules = this.rules.filter((l) => l.remaining > 0);
      this.applied++;
      return r.action;
    }
    return null;
  }
}

const ERROR_CODES = new Set(['ServiceUnavailable', 'SlowDown', 'InternalError']);

/** Validates a rule from JSON (the admin route) or code; throws CosError 400 InvalidArgument. */
export function validateRule(input: unknown): FaultRule {
  if (typeof input !== 'object' || input === null) throw invalidArgument('fault rule must be an object');
  const r = input as Record<string, unknown>;
  const fail = (m: string): never => {
    throw invalidArgument(`fault rule: ${m}`);
  };
  if (r.op !== undefined && !COS_OPS.includes(r.op as CosOp)) fail(`unknown op ${String(r.op)}`);
  if (r.method !== undefined && typeof r.method !== 'string') fail('method must be a string');
  if (r.keyPrefix !== undefined && typeof r.keyPrefix !== 'string') fail('keyPrefix must be a string');
  if (
    r.count !== undefined &&
    (typeof r.count !== 'number' || !(r.count >= 1) || (Number.isFinite(r.count) && !Number.isInteger(r.count)))
  ) {
    fail('count must be a positive integer or Infinity');
  }
  if (
    r.probability !== undefined &&
    (typeof r.probability !== 'number' || !(r.probability >= 0 && r.probability <= 1))
  ) {
    fail('probability must be within 0..1');
  }
  const a = r.action as Record<string, unknown> | undefined;
  if (typeof a !== 'object' || a === null) return fail('action is required');
  switch (a.type) {
    case 'error':
      if (
        a.status !== undefined &&
        (typeof a.status !== 'number' || !Number.isInteger(a.status) || a.status < 400 || a.status > 599)
      ) {
        fail('error status must be 400..599');
      }
      if (a.code !== undefined && !ERROR_CODES.has(String(a.code))) fail(`unknown error code ${String(a.code)}`);
      break;
    case 'delay':
      if (typeof a.ms !== 'number' || !(a.ms >= 0) || !Number.isFinite(a.ms)) fail('delay needs ms >= 0');
      break;
    case 'drop':
      break;
    case 'completeError':
      if (a.code !== undefined && typeof a.code !== 'string') fail('completeError code must be a string');
      break;
    case 'slowMerge':
      if (typeof a.ms !== 'number' || !(a.ms >= 0) || !Number.isFinite(a.ms)) fail('slowMerge needs ms >= 0');
      break;
    case 'noCrc64':
      break;
    default:
      fail(`unknown action type ${String(a.type)}`);
  }
  return input as FaultRule;
}

/** The admin route accepts one rule or an array of them. */
export function parseFaultRules(json: unknown): FaultRule[] {
  return (Array.isArray(json) ? json : [json]).map(validateRule);
}

/** Default status for an injected error code: SlowDown is COS's throttling answer. */
export const faultStatus = (a: { status?: number; code?: string }): number =>
  a.status ?? (a.code === 'SlowDown' ? 503 : a.code === 'InternalError' ? 500 : 503);
