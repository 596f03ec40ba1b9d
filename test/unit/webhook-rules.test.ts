import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { eventBody, eventIdFor, eventTypeFor, newEvent } from '../../shared/core/webhook-events.ts';
import { nextAttemptAfter, retryDelayMs } from '../../shared/core/webhook-schedule.ts';
import { anUpload } from '../contract/fixtures.ts';

const schedule = { retryBaseMs: 5_000, maxAgeMs: 86_400_000 };
const T0 = '2030-01-01T00:00:00.000Z';
const after = (ms: number) => new Date(Date.parse(T0) + ms);

describe('webhook rules (shared/core)', () => {
  it('the events a state reports, as WEBHOOK_EVENTS lists them', () => {
    const all = ['upload.created', 'upload.completed', 'upload.aborted', 'upload.expired'] as const;
    expect(eventTypeFor('completed', all)).toBe('upload.completed');
    expect(eventTypeFor('aborted', all)).toBe('upload.aborted');
    expect(eventTypeFor('expired', all)).toBe('upload.expired');
    expect(eventTypeFor('open', all)).toBe('upload.created');
    expect(eventTypeFor('completing', all)).toBeNull();
    expect(eventTypeFor('open', ['upload.completed'])).toBeNull();
    expect(eventTypeFor('aborted', [])).toBeNull();
  });

  it('one id per upload and type: every copy and retry carries it', () => {
    expect(eventIdFor('upl_abc', 'upload.completed')).toBe('evt_upl_abc_completed');
    const u = anUpload({ state: 'aborted', updatedAt: T0 });
    expect(newEvent('upload.aborted', u)).toMatchObject({
      id: `evt_${u.id}_aborted`,
      state: 'pending',
      attempts: 0,
      nextAttemptAt: T0,
      createdAt: T0,
    });
  });

  it('the body: type, the state change time, and the public upload (no owner); it verifies with standardwebhooks', () => {
    const u = anUpload({ state: 'aborted', updatedAt: T0 });
    const e = newEvent('upload.aborted', u);
    const body = eventBody(e);
    const parsed = JSON.parse(body);
    expect(parsed).toMatchObject({
      type: 'upload.aborted',
      timestamp: T0,
      data: { upload: { id: u.id, state: 'aborted' } },
    });
    expect(parsed.data.upload).not.toHaveProperty('owner');
    expect(parsed.data.upload).not.toHaveProperty('lastActivityAt');
    const secret = 'whsec_' + Buffer.from('0123456789abcdef0123').toString('base64');
    const wh = new Webhook(secret);
    const now = new Date();
    const headers = {
      'webhook-id': e.id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': wh.sign(e.id, now, body),
    };
    expect(wh.verify(body, headers)).toEqual(parsed);
  });

  it('backoff: about the base first, doubling, capped at 6 h', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 5_000))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(retryDelayMs(30, 5_000)).toBe(6 * 3600 * 1000);
  });

  it('jitter stays within ±25 %', () => {
    const at = (r: number) => Date.parse(nextAttemptAfter(1, T0, after(0), schedule, () => r)!) - Date.parse(T0);
    expect(at(0)).toBe(3_750);
    expect(at(0.5)).toBe(5_000);
    expect(at(0.999999)).toBeLessThanOrEqual(6_250);
  });

  it('never past the max age: the last attempt is at the deadline, then there is none', () => {
    const s = { retryBaseMs: 1_000, maxAgeMs: 10_000 };
    expect(nextAttemptAfter(5, T0, after(9_000), s, () => 0.5)).toBe(after(10_000).toISOString());
    expect(nextAttemptAfter(6, T0, after(10_000), s, () => 0.5)).toBeNull();
    expect(nextAttemptAfter(1, T0, after(20_000), s, () => 0.5)).toBeNull();
  });
});
