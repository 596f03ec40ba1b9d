import type { EventType, UploadRecord, UploadState, WebhookEvent } from '../ports.ts';
import { toPublicUpload } from './upload-view.ts';

/** The event a state reports: the three ends of an upload, and (when asked for) its creation. */
const TYPE_OF_STATE: Partial<Record<UploadState, EventType>> = {
  open: 'upload.created',
  completed: 'upload.completed',
  aborted: 'upload.aborted',
  expired: 'upload.expired',
};

/** What WEBHOOK_EVENTS means when unset. */
export const DEFAULT_EVENT_TYPES: readonly EventType[] = ['upload.completed', 'upload.aborted', 'upload.expired'];

/**
 * The event an upload entering `state` records, if `recorded` lists it. Stores call this in the
 * write that changes the state (SQLite) or for the stream record of that write (DynamoDB), so
 * every path to completed/aborted/expired — complete, abort, admin abort, sweep, expiry, and any
 * added later — records its event without knowing about webhooks.
 */
export function eventTypeFor(state: UploadState, recorded: readonly EventType[]): EventType | null {
  const type = TYPE_OF_STATE[state];
  return type && recorded.includes(type) ? type : null;
}

/**
 * One upload reaches each event at most once (terminal states are final, creation happens once),
 * so the upload id and the type name the event: every copy of it — a stream record delivered
 * twice, a retry, a redelivery — carries the same `webhook-id`, which is what receivers de-duplicate on.
 */
export const eventIdFor = (uploadId: string, type: EventType): string =>
  `evt_${uploadId}_${type.slice('upload.'.length)}`;

/** A fresh pending event for an upload as the state change wrote it; the first attempt is due at once. */
export function newEvent(type: EventType, upload: UploadRecord): WebhookEvent {
  return {
    id: eventIdFor(upload.id, type),
    type,
    uploadId: upload.id,
    upload,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: upload.updatedAt,
    lastError: null,
    createdAt: upload.updatedAt,
    deliveredAt: null,
  };
}

/**
 * The body every attempt sends, byte for byte the same: `timestamp` is when the state changed
 * (the attempt's own time is the `webhook-timestamp` header), and the upload is the public
 * object as it was at that moment.
 */
export function eventBody(e: WebhookEvent): string {
  return JSON.stringify({
    type: e.type,
    timestamp: e.createdAt,
    data: { upload: toPublicUpload(e.upload, new Date(e.createdAt)) },
  });
}
