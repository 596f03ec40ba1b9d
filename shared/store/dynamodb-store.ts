import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ContentKey, ListFilter, Page, PartRecord, Transition, UploadRecord, UploadStore } from '../ports.ts';
import {
  all,
  conditionNames,
  exists,
  isConditionFailure,
  isIdleBefore,
  isInFromStates,
  isLeaseFree,
  isNew,
  isOpen,
  isUnexpired,
  sizeUnfixedOrSame,
} from './dynamodb-conditions.ts';
import { fromItem, toItem } from './dynamodb-item.ts';
import {
  activityIndexStale,
  contentOwnerPrefix,
  contentPk,
  INDEX,
  META,
  openPk,
  ownerPk,
  statePk,
  TERMINAL_STATES,
  timeSk,
  ttlAfter,
  uploadPk,
} from './dynamodb-keys.ts';
import { listExpired, listInactive, listUploads } from './dynamodb-listings.ts';
import { readParts, writeParts } from './dynamodb-part-ledger.ts';
import { logRetries, type StoreLog } from './dynamodb-retry-log.ts';
import { type BatchGetRetry, TableClient } from './dynamodb-table-client.ts';
import { patchFields } from './patch-fields.ts';
import { assertLimit, assertPartNumbers } from './validate.ts';

export { ensureTable } from './dynamodb-table.ts';
export type { StoreLog } from './dynamodb-retry-log.ts';

export interface DynamoDbUploadStoreOptions {
  /** The store owns it from here on: `close()` destroys it, so give each store its own. */
  client: DynamoDBClient;
  table: string;
  /**
   * Retry notices, one line per retry: the SDK's own (throttling, 5xx, network) and BatchGetItem's
   * unprocessed keys — `{ msg: 'dynamodb retry', op, attempt, error, delayMs, ... }` with at most
   * the upload id of what was asked (see dynamodb-retry-log.ts). None when absent.
   */
  log?: StoreLog;
  /** How often unprocessed BatchGetItem keys are asked for again (tests shorten it). */
  batchGetRetry?: BatchGetRetry;
}

/**
 * UploadStore on one DynamoDB table (layout in dynamodb-keys.ts, definition in
 * dynamodb-table.json). Conditional writes only: a ConditionalCheckFailedException becomes the
 * port's null/false; what the SDK gave up on after its retries (throttling, 5xx, network) leaves
 * the table client as STORE_UNAVAILABLE (dynamodb-errors.ts); anything else is rethrown untouched.
 */
export class DynamoDbUploadStore implements UploadStore {
  readonly client: DynamoDBClient;
  readonly #db: TableClient;
  #closed = false;

  constructor(opts: DynamoDbUploadStoreOptions) {
    this.client = opts.client;
    if (opts.log) logRetries(opts.client, opts.log);
    const doc = DynamoDBDocumentClient.from(opts.client, { marshallOptions: { removeUndefinedValues: true } });
    this.#db = new TableClient(doc, opts.table, { log: opts.log, batchGetRetry: opts.batchGetRetry });
  }

  /** Destroys the client (its sockets); safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.client.destroy();
  }

  /** Write capacity consumed by this instance so far (all writes ask for it). */
  get consumedWriteUnits(): number {
    return this.#db.consumedWriteUnits;
  }

  get consumedReadUnits(): number {
    return this.#db.consumedReadUnits;
  }

  #key(id: string) {
    return { pk: uploadPk(id), sk: META };
  }

  async create(upload: UploadRecord, quota?: { maxOpenPerOwner: number }): Promise<boolean> {
    // Not atomic with the put (see the port): racing creates can each count below the limit.
    if (quota && upload.state === 'open' && (await this.countOpenByOwner(upload.owner)) >= quota.maxOpenPerOwner) {
      return false;
    }
    try {
      await this.#db.put({ Item: toItem(upload), ConditionExpression: isNew });
    } catch (e) {
      if (isConditionFailure(e)) throw new Error(`upload ${upload.id} already exists`, { cause: e });
      throw e;
    }
    return true;
  }

  async get(id: string): Promise<UploadRecord | null> {
    const item = await this.#db.get(this.#key(id));
    return item ? fromItem(item) : null;
  }

  async transition(id: string, t: Transition): Promise<UploadRecord | null> {
    if (t.from.length === 0) return null;
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
    try {
      const item = await this.#db.update({
        Key: this.#key(id),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: all(...conditions),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      });
      return item ? fromItem(item) : null;
    } catch (e) {
      if (isConditionFailure(e)) return null;
      throw e;
    }
  }

  /**
   * Not a transaction (that would double the write cost): read the upload, write the chunks,
   * then move lastActivityAt under the open-and-unexpired condition. An upload that completes or
   * aborts between the read and that last write keeps parts recorded after its end, and the
   * caller gets false. Harmless: completion checks the ledger against COS's own List Parts, and
   * the chunks expire with the upload (ttl).
   */
  async putParts(id: string, parts: readonly PartRecord[], now: string): Promise<boolean> {
    assertPartNumbers(parts);
    const upload = await this.#db.get(this.#key(id), {
      expression: '#state, #expiresAt, #gsi1sk',
      names: { ...conditionNames, '#gsi1sk': 'gsi1sk' },
    });
    const expiresAt = upload?.expiresAt;
    if (upload?.state !== 'open' || typeof expiresAt !== 'string' || !(now < expiresAt)) return false;
    await writeParts(this.#db, id, parts, expiresAt);
    return this.#moveActivity(id, now, false, activityIndexStale(upload.gsi1sk, now));
  }

  async touch(id: string, now: string, fix?: { size: number; partCount: number }): Promise<boolean> {
    // One read unit to learn whether the index key must move saves two index writes when not.
    const indexed = await this.#db.get(this.#key(id), { expression: '#gsi1sk', names: { '#gsi1sk': 'gsi1sk' } });
    return this.#moveActivity(id, now, true, activityIndexStale(indexed?.gsi1sk, now), fix);
  }

  async #moveActivity(
    id: string,
    now: string,
    updated: boolean,
    moveIndexKey: boolean,
    fix?: { size: number; partCount: number },
  ): Promise<boolean> {
    const names: Record<string, string> = { ...conditionNames, '#activity': 'lastActivityAt' };
    const values: Record<string, unknown> = { ':open': 'open', ':now': now };
    const sets = ['#activity = :now'];
    if (moveIndexKey) {
      names['#gsi1sk'] = 'gsi1sk';
      values[':gsi1sk'] = timeSk(now, id);
      sets.push('#gsi1sk = :gsi1sk');
    }
    const conditions = [exists, isOpen, isUnexpired];
    if (updated) {
      names['#updatedAt'] = 'updatedAt';
      sets.push('#updatedAt = :now');
    }
    if (fix) {
      names['#size'] = 'size';
      names['#partCount'] = 'partCount';
      Object.assign(values, { ':size': fix.size, ':partCount': fix.partCount, ':null': 'NULL' });
      sets.push('#size = :size', '#partCount = :partCount');
      conditions.push(sizeUnfixedOrSame);
    }
    try {
      await this.#db.update({
        Key: this.#key(id),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: all(...conditions),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      });
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  listParts(id: string): Promise<PartRecord[]> {
    return readParts(this.#db, id);
  }

  /** Pages through the owner's partition; fine for a quota of ~100, and terminal uploads age out by ttl. */
  async countOpenByOwner(owner: string): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#db.query({
        IndexName: INDEX.byOwner,
        KeyConditionExpression: 'gsi3pk = :pk',
        FilterExpression: '#state = :open',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':pk': ownerPk(owner), ':open': 'open' },
        Select: 'COUNT',
        ExclusiveStartKey: start,
      });
      count += out.count;
      start = out.last;
    } while (start);
    return count;
  }

  /** One Query of byContent: the content's partition, this owner's prefix, newest first. */
  async findCompletedByContent(owner: string, content: ContentKey, limit: number): Promise<UploadRecord[]> {
    assertLimit(limit);
    const out = await this.#db.query({
      IndexName: INDEX.byContent,
      KeyConditionExpression: 'gsi5pk = :pk AND begins_with(gsi5sk, :owner)',
      ExpressionAttributeValues: { ':pk': contentPk(content.size, content.crc64), ':owner': contentOwnerPrefix(owner) },
      ScanIndexForward: false,
      Limit: limit,
    });
    return out.items.map(fromItem).filter((u) => u.owner === owner && u.state === 'completed');
  }

  list(filter: ListFilter): Promise<Page<UploadRecord>> {
    return listUploads(this.#db, filter);
  }

  listOpenInactiveSince(before: string, limit: number, cursor?: string): Promise<Page<UploadRecord>> {
    return listInactive(this.#db, before, limit, cursor);
  }

  listOpenExpired(now: string, limit: number, cursor?: string): Promise<Page<UploadRecord>> {
    return listExpired(this.#db, now, limit, cursor);
  }
}

export interface CreateDynamoDbStoreOptions {
  table: string;
  /** DynamoDB Local (or another non-AWS endpoint): dummy credentials, us-east-1 unless `region`. */
  endpoint?: string;
  region?: string;
  /** Retry notices (see DynamoDbUploadStoreOptions.log). */
  log?: StoreLog;
}

/** The configured store, owning a client of its own; dummy credentials only for a local endpoint (DynamoDB Local ignores them). */
export function createDynamoDbStore(opts: CreateDynamoDbStoreOptions): DynamoDbUploadStore {
  const client = new DynamoDBClient({
    region: opts.region ?? (opts.endpoint ? 'us-east-1' : undefined),
    ...(opts.endpoint
      ? { endpoint: opts.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  return new DynamoDbUploadStore({ client, table: opts.table, log: opts.log });
}
