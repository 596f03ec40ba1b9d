import {
  EVENT_STATES,
  EVENT_TYPES,
  type EventPatch,
  type EventState,
  type EventStore,
  type Page,
  type WebhookEvent,
} from '../ports.ts';
import { isConditionFailure, isEventAsRead, isNewEvent } from './dynamodb-conditions.ts';
import { INDEX, timeSk, ttlAfter } from './dynamodb-keys.ts';
import { mergedQuery } from './dynamodb-merged-query.ts';
import type { Item, TableClient } from './dynamodb-table-client.ts';
import { parseUploadRecord } from './upload-record-schema.ts';
import { assertLimit } from './validate.ts';

/**
 * The webhook outbox on the uploads table. The table's stream is the durable record of every
 * state change; functions/deliver-events.ts turns each one into an EVENT item here (the
 * conditional put is the de-duplication of stream copies) and delivers it:
 *
 *   pk = EVENT#<id>   sk = EVENT                        one event and its delivery
 *   gsi2 byExpiry  EVENTS#DUE       nextAttemptAt#id    only while pending: the retry schedule's scan
 *   gsi4 byState   EVENTS#<state>   createdAt#id        always: the admin listing
 *
 * The index partitions never collide with the uploads' (OPEN#…, STATE#…), so no upload listing
 * sees an event. Delivered events are deleted by TTL after the uploads' retention; failed ones stay.
 */
export const EVENT_SK = 'EVENT';
export const eventPk = (id: string) => `EVENT#${id}`;
const eventKey = (id: string) => ({ pk: eventPk(id), sk: EVENT_SK });
const DUE_PK = 'EVENTS#DUE';
const statePk = (s: EventState) => `EVENTS#${s}`;

const str = (v: unknown) => (typeof v === 'string' ? v : null);

function fromEventItem(item: Item): WebhookEvent {
  const type = EVENT_TYPES.find((t) => t === item.type);
  const state = EVENT_STATES.find((s) => s === item.state);
  if (!type || !state || typeof item.id !== 'string')
    throw new Error(`dynamodb: stored event ${String(item.pk)} is malformed`);
  return {
    id: item.id,
    type,
    uploadId: String(item.uploadId),
    upload: parseUploadRecord(item.upload, 'dynamodb event'),
    state,
    attempts: Number(item.attempts),
    nextAttemptAt: str(item.nextAttemptAt),
    lastError: str(item.lastError),
    createdAt: String(item.createdAt),
    deliveredAt: str(item.deliveredAt),
  };
}

export class DynamoDbEventStore implements EventStore {
  readonly #db: TableClient;

  constructor(db: TableClient) {
    this.#db = db;
  }

  async record(e: WebhookEvent): Promise<boolean> {
    try {
      await this.#db.put({
        Item: {
          ...e,
          ...eventKey(e.id),
          gsi4pk: statePk(e.state),
          gsi4sk: timeSk(e.createdAt, e.id),
          ...(e.state === 'pending' && e.nextAttemptAt
            ? { gsi2pk: DUE_PK, gsi2sk: timeSk(e.nextAttemptAt, e.id) }
            : {}),
        },
        ConditionExpression: isNewEvent,
      });
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async get(id: string): Promise<WebhookEvent | null> {
    const item = await this.#db.get(eventKey(id));
    return item ? fromEventItem(item) : null;
  }

  async update(
    id: string,
    expected: { state: EventState; attempts: number },
    patch: EventPatch,
  ): Promise<WebhookEvent | null> {
    const names: Record<string, string> = { '#state': 'state', '#attempts': 'attempts' };
    const values: Record<string, unknown> = { ':expState': expected.state, ':expAttempts': expected.attempts };
    const set: string[] = [];
    const remove: string[] = [];
    const put = (attr: string, value: unknown) => {
      names[`#${attr}`] = attr;
      values[`:${attr}`] = value;
      set.push(`#${attr} = :${attr}`);
    };
    const drop = (...attrs: string[]) => {
      for (const attr of attrs) {
        names[`#${attr}`] = attr;
        remove.push(`#${attr}`);
      }
    };
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) put(k, v);
    if (set.length === 0) throw new TypeError('an event update needs at least one field');
    const state = patch.state ?? expected.state;
    if (patch.state) put('gsi4pk', statePk(state));
    if (state !== 'pending' || patch.nextAttemptAt === null) drop('gsi2pk', 'gsi2sk');
    else if (patch.nextAttemptAt) {
      put('gsi2pk', DUE_PK);
      put('gsi2sk', timeSk(patch.nextAttemptAt, id));
    }
    if (patch.state === 'delivered' && patch.deliveredAt) put('ttl', ttlAfter(patch.deliveredAt));
    else if (patch.state) drop('ttl');
    try {
      const item = await this.#db.update({
        Key: eventKey(id),
        UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: isEventAsRead,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      });
      return item ? fromEventItem(item) : null;
    } catch (err) {
      if (isConditionFailure(err)) return null;
      throw err;
    }
  }

  async listDue(now: string, limit: number): Promise<WebhookEvent[]> {
    assertLimit(limit);
    // `nextAttemptAt <= now` as a key condition: '$' is the character right after '#'.
    const out = await this.#db.query({
      IndexName: INDEX.byExpiry,
      KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk < :below',
      ExpressionAttributeValues: { ':pk': DUE_PK, ':below': `${now}$` },
      Limit: limit,
    });
    const events = await this.#read(out.items.map((i) => String(i.pk).slice('EVENT#'.length)));
    // The index lags the item: keep only what is still due.
    return events.filter((e) => e.state === 'pending' && e.nextAttemptAt !== null && e.nextAttemptAt <= now);
  }

  async list(f: { state?: EventState; limit: number; cursor?: string }): Promise<Page<WebhookEvent>> {
    assertLimit(f.limit);
    const { ids, nextCursor } = await mergedQuery(this.#db, {
      index: INDEX.byState,
      pkAttr: 'gsi4pk',
      skAttr: 'gsi4sk',
      streams: (f.state ? [f.state] : EVENT_STATES).map(statePk),
      forward: false,
      limit: f.limit,
      cursor: f.cursor,
      tableKey: eventKey,
    });
    const events = await this.#read(ids);
    return { items: events.filter((e) => !f.state || e.state === f.state), nextCursor };
  }

  /** Strongly consistent reads of the items an index named, in its order. */
  async #read(ids: string[]): Promise<WebhookEvent[]> {
    const items = await this.#db.batchGet(ids.map(eventKey));
    const byId = new Map(items.map((item) => [String(item.id), fromEventItem(item)]));
    return ids.map((id) => byId.get(id)).filter((e): e is WebhookEvent => e !== undefined);
  }
}
