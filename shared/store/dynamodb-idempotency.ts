import type { IdempotencyClaim, IdempotencyFinish, IdempotencyRecord } from '../ports.ts';
import { isConditionFailure, isOwnUnfinishedClaim, isKeyFree } from './dynamodb-conditions.ts';
import type { TableClient, TransactItem } from './dynamodb-table-client.ts';
import { packBody, unpackBody } from './stored-response.ts';

/**
 * Idempotency-Key items, in the uploads table:
 *
 *   pk = IDEM#<owner>   sk = KEY#<key>   fingerprint, claim, leaseUntil, expiresAt, ttl[, status, body]
 *
 * `ttl` (unix seconds of expiresAt) lets DynamoDB delete them; TTL deletes up to days late, so the
 * claim's condition reads `expiresAt` too. `body` is the deflated response (stored-response.ts).
 */
const keyOf = (owner: string, key: string) => ({ pk: `IDEM#${owner}`, sk: `KEY#${key}` });

const names = {
  '#expiresAt': 'expiresAt',
  '#leaseUntil': 'leaseUntil',
  '#status': 'status',
};

export async function claimKey(db: TableClient, c: IdempotencyClaim, now: string): Promise<IdempotencyRecord | null> {
  // Two tries: a key that expired between our failed put and the read is free again.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await db.put({
        Item: { ...keyOf(c.owner, c.key), ...c, ttl: Math.ceil(Date.parse(c.expiresAt) / 1000) },
        ConditionExpression: isKeyFree,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':now': now },
      });
      return null;
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
    const held = await db.get(keyOf(c.owner, c.key));
    if (held) return recordOf(held);
  }
  throw new Error('idempotency key neither free nor held');
}

function recordOf(item: Record<string, unknown>): IdempotencyRecord {
  const text = (k: string) => {
    if (typeof item[k] !== 'string') throw new Error(`dynamodb: malformed idempotency key item (${k})`);
    return item[k];
  };
  const body = item.body;
  return {
    owner: text('owner'),
    key: text('key'),
    fingerprint: text('fingerprint'),
    claim: text('claim'),
    leaseUntil: text('leaseUntil'),
    expiresAt: text('expiresAt'),
    response:
      typeof item.status === 'number' && body instanceof Uint8Array
        ? { status: item.status, body: unpackBody(body) }
        : null,
  };
}

/** The create transaction's action that stores the response, only under the caller's own claim. */
export function finishAction(f: IdempotencyFinish): TransactItem {
  return {
    Update: {
      Key: keyOf(f.owner, f.key),
      UpdateExpression: 'SET #status = :status, #body = :body',
      ConditionExpression: isOwnUnfinishedClaim,
      ExpressionAttributeNames: { '#status': 'status', '#body': 'body', '#claim': 'claim' },
      ExpressionAttributeValues: {
        ':status': f.response.status,
        ':body': packBody(f.response.body),
        ':claim': f.claim,
      },
    },
  };
}

export async function releaseKey(db: TableClient, owner: string, key: string, claim: string): Promise<void> {
  try {
    await db.delete({
      Key: keyOf(owner, key),
      ConditionExpression: isOwnUnfinishedClaim,
      ExpressionAttributeNames: { '#status': 'status', '#claim': 'claim' },
      ExpressionAttributeValues: { ':claim': claim },
    });
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
  }
}
