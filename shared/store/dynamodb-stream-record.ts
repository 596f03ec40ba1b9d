import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { eventTypeFor, newEvent } from '../core/webhook-events.ts';
import { type EventType, UPLOAD_STATES, type WebhookEvent } from '../ports.ts';
import * as z from '../zod.ts';
import { fromItem } from './dynamodb-item.ts';
import { idFromPk, META } from './dynamodb-keys.ts';

/** The attributes of an upload's META item a stream record is judged on; the worker reads the rest fresh. */
const metaItem = z.object({ pk: z.string(), sk: z.literal(META), state: z.string() });

/**
 * The upload a stream record asks a worker for: a META item in `completing`. serverless.yml's
 * filter (shared/store/completion-stream-filter.json) already lets only those through, with no
 * lease; this is checked again so that any other record is ignored, never mistaken for one.
 */
export function completingUploadId(record: DynamoDBRecord): string | null {
  const image = record.dynamodb?.NewImage ?? {};
  // Only these attributes are unmarshalled: the rest of the image is not ours to judge (DynamoDB
  // Local's stream, for one, writes an empty map as `{}` without its `M`, which unmarshall
  // refuses). The event's DynamoDB JSON is the shape unmarshall reads for strings.
  const picked = Object.fromEntries(Object.entries(image).filter(([name]) => Object.hasOwn(metaItem.shape, name)));
  const parsed = metaItem.safeParse(unmarshall(picked as Record<string, AttributeValue>));
  if (!parsed.success || parsed.data.state !== 'completing' || !parsed.data.pk.startsWith('UPLOAD#')) return null;
  return idFromPk(parsed.data.pk);
}

/**
 * DynamoDB Local's stream writes an empty map as `{}` (no `M`), which unmarshall refuses; the
 * real stream writes `{ "M": {} }`. Both read as an empty map here.
 */
function normalized(v: unknown): AttributeValue {
  if (typeof v !== 'object' || v === null) return v as AttributeValue;
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return { M: {} };
  const [[type, inner]] = entries as [[string, unknown]];
  if (type === 'M') {
    return {
      M: Object.fromEntries(Object.entries(inner as Record<string, unknown>).map(([k, x]) => [k, normalized(x)])),
    };
  }
  if (type === 'L') return { L: (inner as unknown[]).map(normalized) };
  return v as AttributeValue;
}

/**
 * The event a stream record of an upload's META item reports (webhook-events.ts decides which),
 * with the upload as that write left it (the record's NewImage; the table's view type is
 * NEW_IMAGE). null for any other record. `upload.created` only for the INSERT: an upload that
 * re-enters `open` was not created again.
 */
export function eventOfRecord(record: DynamoDBRecord, recorded: readonly EventType[]): WebhookEvent | null {
  const image = record.dynamodb?.NewImage;
  if (!image || image.sk?.S !== META || !image.pk?.S?.startsWith('UPLOAD#')) return null;
  const state = UPLOAD_STATES.find((s) => s === image.state?.S);
  if (!state || (state === 'open' && record.eventName !== 'INSERT')) return null;
  const type = eventTypeFor(state, recorded);
  if (!type) return null;
  const item = unmarshall(
    Object.fromEntries(Object.entries(image).map(([k, v]) => [k, normalized(v)])) as Record<string, AttributeValue>,
  );
  return newEvent(type, fromItem(item));
}
