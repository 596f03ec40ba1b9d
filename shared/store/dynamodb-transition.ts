import type { Transition } from '../ports.ts';
import {
  all,
  exists,
  holdsNoSlot,
  holdsSlot,
  isIdleBefore,
  isInFromStates,
  isLeaseFree,
} from './dynamodb-conditions.ts';
import { contentPk, META, openPk, statePk, TERMINAL_STATES, ttlAfter, uploadPk } from './dynamodb-keys.ts';
import { patchFields } from './patch-fields.ts';

export interface TransitionUpdate {
  Key: { pk: string; sk: string };
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/**
 * The conditional update of one transition. With `quota`, it also requires the upload's
 * `quotaHeld` mark to be what was read (`held`) and sets it to `hold` (dynamodb-quota.ts).
 */
export function transitionUpdate(
  id: string,
  t: Transition,
  quota?: { held: boolean; hold: boolean },
): TransitionUpdate {
  const from = isInFromStates(t.from);
  const names: Record<string, string> = { '#state': 'state', '#updatedAt': 'updatedAt', '#gsi4pk': 'gsi4pk' };
  const values: Record<string, unknown> = { ...from.values, ':to': t.to, ':at': t.at, ':gsi4pk': statePk(t.to, id) };
  const sets = ['#state = :to', '#updatedAt = :at', '#gsi4pk = :gsi4pk'];
  const conditions = [exists, from.expression];
  if (t.idleBefore !== undefined) {
    names['#lastActivityAt'] = 'lastActivityAt';
    values[':idleBefore'] = t.idleBefore;
    conditions.push(isIdleBefore);
  }
  if (t.leaseFreeAt !== undefined) {
    names['#leaseUntil'] = 'leaseUntil';
    values[':leaseFreeAt'] = t.leaseFreeAt;
    values[':null'] = 'NULL';
    conditions.push(isLeaseFree);
  }
  if (quota) {
    names['#quotaHeld'] = 'quotaHeld';
    values[quota.held ? ':true' : ':false'] = quota.held;
    values[':hold'] = quota.hold;
    conditions.push(quota.held ? holdsSlot : holdsNoSlot);
    sets.push('#quotaHeld = :hold');
  }
  const removes: string[] = [];
  for (const field of patchFields) {
    if (t.set?.[field] === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = t.set[field];
    sets.push(`#${field} = :${field}`);
  }
  // Membership of the sweep indexes follows the state (sparse: only open items carry the pk).
  names['#gsi1pk'] = 'gsi1pk';
  names['#gsi2pk'] = 'gsi2pk';
  if (t.to === 'open') {
    values[':openPk'] = openPk(id);
    sets.push('#gsi1pk = :openPk', '#gsi2pk = :openPk');
  } else {
    removes.push('#gsi1pk', '#gsi2pk');
  }
  // byContent (dedupe) holds completed uploads only; the completing write carries size and CRC64.
  const size = t.set?.size;
  const crc64 = t.set?.crc64;
  if (t.to !== 'completed') {
    names['#gsi5pk'] = 'gsi5pk';
    removes.push('#gsi5pk');
  } else if (typeof size === 'number' && typeof crc64 === 'string') {
    names['#gsi5pk'] = 'gsi5pk';
    values[':contentPk'] = contentPk(size, crc64);
    sets.push('#gsi5pk = :contentPk');
  }
  names['#ttl'] = 'ttl';
  if (TERMINAL_STATES.includes(t.to)) {
    values[':ttl'] = ttlAfter(t.at);
    sets.push('#ttl = :ttl');
  } else {
    removes.push('#ttl');
  }
  return {
    Key: { pk: uploadPk(id), sk: META },
    UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: all(...conditions),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
