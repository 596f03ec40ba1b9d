import type { DynamoDBBatchItemFailure, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { runCompletion } from '../shared/core/completion-worker.ts';
import { isUploadError } from '../shared/errors.ts';
import { withCompletion } from '../shared/runtime/with-completion.ts';
import { invocation } from '../shared/runtime/invocation.ts';
import { completingUploadId } from '../shared/store/dynamodb-stream-record.ts';
import * as z from '../shared/zod.ts';

/** A stream batch; each record is judged on its own (dynamodb-stream-record.ts). */
const streamEvent = z.custom<DynamoDBStreamEvent>(
  (e) => typeof e === 'object' && e !== null && Array.isArray((e as { Records?: unknown }).Records),
  'not a DynamoDB stream event',
);

/** The store, COS and the content detector (VERIFY_CONTENT_TYPE). */
type Uses = typeof withCompletion;

/**
 * Started by the table's DynamoDB Stream (serverless.yml) when an upload enters `completing` or a
 * worker hands it back: runs the completion worker for each record. Records run side by side — each
 * may wait minutes for COS's merge, and one after another they would outlast the 900 s timeout.
 * A run that throws is reported by its sequence number, so Lambda retries it (and what follows it
 * in the shard) and, past the retry limit, sends it to the dead-letter queue ("Configuring partial
 * batch response with DynamoDB and Lambda"). A run that ends unsettled has already handed the
 * upload back, which is a new stream record: that is success here.
 */
export const handler = invocation<DynamoDBStreamEvent, DynamoDBBatchResponse, DynamoDBStreamEvent, Uses>(
  { name: 'complete-worker', input: streamEvent, uses: withCompletion },
  async ({ input, deps, log }) => {
    const runs = input.Records.map(async (record): Promise<DynamoDBBatchItemFailure | null> => {
      const sequenceNumber = record.dynamodb?.SequenceNumber;
      const startedAt = Date.now();
      let uploadId: string | null = null;
      try {
        uploadId = completingUploadId(record);
        if (uploadId === null) return null;
        const outcome = await runCompletion(deps, uploadId);
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
