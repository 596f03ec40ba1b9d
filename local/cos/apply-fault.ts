import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { CosError } from './cos-error.ts';
import { type FaultAction, faultStatus } from './faults.ts';
import { drain } from './respond.ts';
import { sendStsError } from './sts.ts';

/** What an injected fault does to the request it fired on. */
export interface FaultEffect {
  /** The request was answered (or dropped) by the fault itself. */
  done: boolean;
  /** Complete: fail late, inside the 200, with this code. */
  late?: string;
  /** Complete: the merge takes this long. */
  slowMergeMs?: number;
  /** The response leaves out x-cos-hash-crc64ecma. */
  noCrc64?: boolean;
}

const FAULT_MESSAGES: Record<string, string> = {
  SlowDown: 'Please reduce your request rate.',
  ServiceUnavailable: 'Please reduce your request rate or try again later.',
  InternalError: 'We encountered an internal error. Please try again.',
};

/** Applies a fault before the request is authenticated, as a failing front end would. */
export async function applyFault(
  req: IncomingMessage,
  a: FaultAction,
  sts: boolean,
  res: ServerResponse,
): Promise<FaultEffect> {
  switch (a.type) {
    case 'delay':
      await sleep(a.ms);
      return { done: false };
    case 'drop':
      await drain(req);
      req.socket.destroy();
      return { done: true };
    case 'completeError':
      return { done: false, late: a.code ?? 'InternalError' };
    case 'slowMerge':
      return { done: false, slowMergeMs: a.ms };
    case 'noCrc64':
      return { done: false, noCrc64: true };
    case 'error': {
      const code = a.code ?? 'ServiceUnavailable';
      if (sts) {
        await drain(req);
        sendStsError(res, code, FAULT_MESSAGES[code]!, faultStatus(a));
        return { done: true };
      }
      throw new CosError(faultStatus(a), code, FAULT_MESSAGES[code]!);
    }
  }
}
