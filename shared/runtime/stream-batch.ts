import type { DynamoDBBatchItemFailure, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { isUploadError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import * as z from '../zod.ts';

/** A DynamoDB Stream batch; each record is judged on its own (dynamodb-stream-record.ts). */
export const streamEvent = z.custom<DynamoDBStreamEvent>(
  (e) => typeof e === 'object' && e !== null && Array.isArray((e as { Records?: unknown }).Records),
  'not a DynamoDB stream event',
);

/**
 * Runs `each` for every record of a stream batch, side by side, and answers a partial batch
 * response: a record whose run threw is reported by its sequence number, so Lambda retries it (and
 * what follows it in the shard) and, past the retry limit, sends it to the dead-letter queue
 * ("Configuring partial batch response with DynamoDB and Lambda"). The failure is logged as
 * `failed` with whatever `each` had put in `fields` (the upload it got to, say).
 */
export async function eachRecord(
  records: readonly DynamoDBRecord[],
  log: Logger,
  failed: string,
  each: (record: DynamoDBRecord, fields: Record<string, unknown>) => Promise<void>,
): Promise<DynamoDBBatchResponse> {
  const runs = records.map(async (record): Promise<DynamoDBBatchItemFailure | null> => {
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    const fields: Record<string, unknown> = {};
    try {
      await each(record, fields);
      return null;
    } catch (e) {
      log.error(failed, {
        ...fields,
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
}
