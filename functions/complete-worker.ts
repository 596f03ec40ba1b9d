import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { runCompletion } from '../shared/core/completion-worker.ts';
import { invocation } from '../shared/runtime/invocation.ts';
import { eachRecord, streamEvent } from '../shared/runtime/stream-batch.ts';
import { withCompletion } from '../shared/runtime/with-completion.ts';
import { completingUploadId } from '../shared/store/dynamodb-stream-record.ts';

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
  async ({ input, deps, log }) =>
    eachRecord(input.Records, log, 'completion run failed', async (record, fields) => {
      const startedAt = Date.now();
      const uploadId = completingUploadId(record);
      if (uploadId === null) return;
      fields.uploadId = uploadId;
      const outcome = await runCompletion(deps, uploadId);
      const sequenceNumber = record.dynamodb?.SequenceNumber;
      log.info('completion run', { uploadId, outcome, sequenceNumber, ms: Date.now() - startedAt });
    }),
);
