import { COS_MAX_PARTS } from '../core/cos-limits.ts';
import { validationFailed } from '../errors.ts';
import type { PartRecord } from '../ports.ts';

/**
 * Guards shared by both adapters, so bad input from a caller becomes a clear 400 rather than
 * a SQL error or a DynamoDB ValidationException, and both stores refuse exactly the same things.
 */
export function assertPartNumbers(parts: readonly PartRecord[]): void {
  parts.forEach((p, i) => {
    if (!Number.isInteger(p.partNumber) || p.partNumber < 1 || p.partNumber > COS_MAX_PARTS) {
      throw validationFailed([{ path: ['parts', i, 'partNumber'], message: `must be an integer 1..${COS_MAX_PARTS}` }]);
    }
  });
}

export function assertLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw validationFailed([{ path: ['limit'], message: 'must be a positive integer' }]);
  }
}
