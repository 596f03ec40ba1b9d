import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import * as z from '../zod.ts';
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
