import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type {
  Context,
  DynamoDBBatchItemFailure,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
} from 'aws-lambda';
import { runCompletion } from '../shared/core/completion-worker.ts';
import { isUploadError } from '../shared/errors.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { coreDeps } from '../shared/runtime/core-deps.ts';
import { idFromPk, META } from '../shared/store/dynamodb-keys.ts';
import * as z from '../shared/zod.ts';

const FN = 'complete-worker';

/** The attributes of an upload's META item this handler reads; runCompletion reads the rest fresh. */
const metaItem = z.object({ pk: z.string(), sk: z.literal(META), state: z.string() });

/**
 * The upload a stream record asks a worker for: a META item in `completing`. serverless.yml's
 * filter (shared/store/completion-stream-filter.json) already lets only those through, with no
 * lease; this is checked again so that any other record is ignored, never mistaken for one.
 */
function completingUpload(record: DynamoDBRecord): string | null {
  const image = record.dynamodb?.NewImage ?? {};
  // Only these attributes are unmarshalled: the rest of the image is not ours to judge (DynamoDB
  // Local's stream, for one, writes an empty map as `{}` without its `M`, which unmarshall
  // refuses). The event's DynamoDB JSON is the shape unmarshall reads for strings.
  const picked = Object.fromEntries(Object.entries(image).filter(([name]) => Object.hasOwn(metaItem.shape, name)));
  const parsed = metaItem.safeParse(unmarshall(picked as Record<string, AttributeValue>));
  if (!parsed.success || parsed.data.state !== 'completing' || !parsed.data.pk.startsWith('UPLOAD#')) return null;
  return idFromPk(parsed.data.pk);
}

let baseLog: Logger | undefined;
const logger = () => (baseLog ??= createLogger(undefined, { fn: FN }));

/**
 * Started by the table's DynamoDB Stream (serverless.yml) when an upload enters `completing` or a
 * worker hands it back: runs the completion worker for each record. Records run side by side — each
 * may wait minutes for COS's merge, and one after another they would outlast the 900 s timeout.
 * A run that throws is reported by its sequence number, so Lambda retries it (and what follows it
 * in the shard) and, past the retry limit, sends it to the dead-letter queue ("Configuring partial
 * batch response with DynamoDB and Lambda"). A run that ends unsettled has already handed the
 * upload back, which is a new stream record: that is success here.
 */
export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse, Error, Context>().handler(
  async (event, context) => {
    const log = logger().child({ requestId: context.awsRequestId });
    const runs = event.Records.map(async (record): Promise<DynamoDBBatchItemFailure | null> => {
      const sequenceNumber = record.dynamodb?.SequenceNumber;
      const startedAt = Date.now();
      let uploadId: string | null = null;
      try {
        uploadId = completingUpload(record);
        if (uploadId === null) return null;
        const deps = await coreDeps();
        const outcome = await runCompletion(
          { ...deps, log: deps.log.child({ fn: FN, requestId: context.awsRequestId }) },
          uploadId,
        );
        log.info('completion run', { uploadId, outcome, sequenceNumber, ms: Date.now() - startedAt });
        return null;
      } catch (e) {
        log.error('completion run failed', {
          uploadId,
          sequenceNumber,
          code: isUploadError(e) ? e.code : e instanceof Error ? e.name : 'unknown',
          // Our own adapters' errors (status, COS code); never request bodies or secrets.
          error: e instanceof Error ? e.message : String(e),
        });
        // An empty identifier fails the whole batch (same page): still a retry, never a silent loss.
        return { itemIdentifier: sequenceNumber ?? '' };
      }
    });
    const failures = (await Promise.all(runs)).filter((f): f is DynamoDBBatchItemFailure => f !== null);
    return { batchItemFailures: failures };
  },
);
