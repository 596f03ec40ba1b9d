import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { idempotencyKeyInUse, storeUnavailable } from '../errors.ts';
import type {
  ContentKey,
  IdempotencyClaim,
  IdempotencyFinish,
  IdempotencyRecord,
  ListFilter,
  OpenCountRepair,
  OpenQuota,
  Page,
  PartRecord,
  Transition,
  UploadRecord,
  UploadState,
  UploadStore,
} from '../ports.ts';
import {
  all,
  conditionNames,
  exists,
  isConditionFailure,
  isNew,
  isOpen,
  isUnexpired,
  sizeUnfixedOrSame,
} from './dynamodb-conditions.ts';
import { claimKey, finishAction, releaseKey } from './dynamodb-idempotency.ts';
import { fromItem, toItem } from './dynamodb-item.ts';
import { activityIndexStale, contentOwnerPrefix, contentPk, INDEX, META, timeSk, uploadPk } from './dynamodb-keys.ts';
import { listExpired, listInactive, listUploads } from './dynamodb-listings.ts';
import { readParts, writeParts } from './dynamodb-part-ledger.ts';
import { counterChange, countersOf, readCount, repairCounters } from './dynamodb-quota.ts';
import { logRetries, type StoreLog } from './dynamodb-retry-log.ts';
import { type BatchGetRetry, TableClient, type TransactItem } from './dynamodb-table-client.ts';
import { type TransitionUpdate, transitionUpdate } from './dynamodb-transition.ts';
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

  async create(upload: UploadRecord, quota?: OpenQuota, idempotency?: IdempotencyFinish): Promise<boolean> {
    const item = toItem(upload);
    const counted = upload.state === 'open';
    if (!counted && !idempotency) {
      try {
        await this.#db.put({ Item: item, ConditionExpression: isNew });
      } catch (e) {
        if (isConditionFailure(e)) throw new Error(`upload ${upload.id} already exists`, { cause: e });
        throw e;
      }
      return true;
    }
    // The upload, its counters (dynamodb-quota.ts) and the key's response: all or nothing.
    const actions: TransactItem[] = [{ Put: { Item: { ...item, quotaHeld: counted }, ConditionExpression: isNew } }];
    if (counted) {
      actions.push(counterChange(upload.owner, null, 1, upload.createdAt, quota?.maxOpenPerOwner));
      if (upload.profile !== null) {
        actions.push(counterChange(upload.owner, upload.profile, 1, upload.createdAt, quota?.maxOpenInProfile));
      }
    }
    if (idempotency) actions.push(finishAction(idempotency));
    const out = await this.#db.transact(actions);
    if (out.ok) return true;
    if (out.failed.includes(0)) throw new Error(`upload ${upload.id} already exists`);
    if (idempotency && out.failed.includes(actions.length - 1)) throw idempotencyKeyInUse();
    return false;
  }

  async get(id: string): Promise<UploadRecord | null> {
    const item = await this.#db.get(this.#key(id));
    return item ? fromItem(item) : null;
  }

  /**
   * A transition that can move the upload into or out of `open` also moves its counters, in one
   * transaction conditioned on the `quotaHeld` mark it read (dynamodb-quota.ts); any other is one
   * conditional update. A cancelled transaction is read again: if the mark moved meanwhile (another
   * transition won), the next attempt decides afresh; otherwise a condition of `t` failed: null.
   */
  async transition(id: string, t: Transition): Promise<UploadRecord | null> {
    if (t.from.length === 0) return null;
    const crosses = t.to === 'open' ? t.from.some((s) => s !== 'open') : t.from.includes('open');
    if (!crosses) return this.#update(transitionUpdate(id, t));
    for (let attempt = 0; attempt < 5; attempt++) {
      const seen = await this.#db.get(this.#key(id), {
        expression: '#owner, #profile, #state, #quotaHeld',
        names: { '#owner': 'owner', '#profile': 'profile', '#state': 'state', '#quotaHeld': 'quotaHeld' },
      });
      if (!seen || !t.from.includes(seen.state as UploadState)) return null;
      const held = seen.quotaHeld === true;
      const hold = t.to === 'open';
      const update = transitionUpdate(id, t, { held, hold });
      if (held === hold) return this.#update(update);
      const profile = typeof seen.profile === 'string' ? seen.profile : null;
      const out = await this.#db.transact([
        { Update: update },
        ...countersOf(String(seen.owner), profile, hold ? 1 : -1, t.at),
      ]);
      if (out.ok) return this.get(id);
      const now = await this.#db.get(this.#key(id), { expression: '#quotaHeld', names: { '#quotaHeld': 'quotaHeld' } });
      if ((now?.quotaHeld === true) === held) return null;
    }
    throw storeUnavailable(new Error(`upload ${id}: its quota mark kept changing under the transition`));
  }

  async #update(update: TransitionUpdate): Promise<UploadRecord | null> {
    try {
      const item = await this.#db.update({ ...update, ReturnValues: 'ALL_NEW' });
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

  /** The quota counter itself (one consistent read): what the next create's condition will see. */
  countOpenByOwner(owner: string, profile?: string): Promise<number> {
    return readCount(this.#db, owner, profile ?? null);
  }

  repairOpenCounts(owner: string, now: string): Promise<OpenCountRepair> {
    return repairCounters(this.#db, owner, now);
  }

  claimIdempotencyKey(claim: IdempotencyClaim, now: string): Promise<IdempotencyRecord | null> {
    return claimKey(this.#db, claim, now);
  }

  releaseIdempotencyKey(owner: string, key: string, claim: string): Promise<void> {
    return releaseKey(this.#db, owner, key, claim);
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
