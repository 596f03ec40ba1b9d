import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { recordedEvents } from '../shared/config.ts';
import { deliverEvent } from '../shared/core/deliver-event.ts';
import { runtimeFor } from '../shared/runtime/current.ts';
import { invocation } from '../shared/runtime/invocation.ts';
import { eachRecord, streamEvent } from '../shared/runtime/stream-batch.ts';
import { webhookDeps } from '../shared/runtime/webhook-deps.ts';
import { withStore } from '../shared/runtime/with-store.ts';
import { eventOfRecord } from '../shared/store/dynamodb-stream-record.ts';

/**
 * Fed by the table's DynamoDB Stream (serverless.yml, filter shared/store/event-stream-filter.json):
 * the stream record of an upload's state change *is* the durable event. Each one becomes an EVENT
 * item (a conditional put: a second copy of the record finds it and stops) and gets its first
 * attempt here. A failed attempt is not a failed record — the item is pending with its next
 * attempt scheduled, and functions/deliver-due-events.ts makes it; only a record whose item could
 * not be written is reported, so Lambda retries it and, past the retry limit, sends it to the
 * dead-letter queue.
 */
export const handler = invocation<DynamoDBStreamEvent, DynamoDBBatchResponse, DynamoDBStreamEvent, typeof withStore>(
  { name: 'deliver-events', input: streamEvent, uses: withStore },
  async ({ input, deps, log }) => {
    const runtime = runtimeFor(withStore);
    const webhooks = webhookDeps(runtime.config, {
      events: deps.store.events,
      clock: deps.clock,
      log,
      tuning: runtime.webhookTuning,
    });
    if (!webhooks) return { batchItemFailures: [] };
    const recorded = recordedEvents(runtime.config);
    return eachRecord(input.Records, log, 'event recording failed', async (record) => {
      const event = eventOfRecord(record, recorded);
      if (event && (await webhooks.events.record(event))) await deliverEvent(webhooks, event);
    });
  },
);
