import type { Page, UploadRecord } from '../ports.ts';
import { cleanCos } from './abort-upload.ts';
import { isOrphanedCompletion } from './completion-lease.ts';
import type { CoreDeps } from './deps.ts';
import { decodeSweepCursor } from './sweep-cursor.ts';
import { reconcileCos } from './sweep-orphans.ts';
import { errorCode, forEachLimited, type SweepReport, type SweepRun, sweepVerdict } from './sweep-run.ts';

export type { SweepReport } from './sweep-run.ts';

/** Work one run may do, so a backlog never outlives a Lambda's timeout; the next run continues. */
export interface SweepBudget {
  /** Store records examined (expired and stale together). */
  uploads: number;
  /** COS multipart uploads examined. */
  cosListings: number;
}

export const DEFAULT_SWEEP_BUDGET: SweepBudget = { uploads: 500, cosListings: 1000 };

export interface SweepOptions {
  /** Inactivity before an open upload is aborted; default `STALE_AFTER_SECONDS`. */
  olderThanSeconds?: number;
  /** Report what would happen, change nothing. */
  dryRun?: boolean;
  /** A previous run's `nextCursor`: resume the COS listing there. */
  cursor?: string;
  budget?: Partial<SweepBudget>;
}

const STORE_PAGE = 100;
const MAX_STORE_PAGES = 50;
const CONCURRENCY = 8;

/**
 * The stale-session sweep, shared by `POST /v1/admin/sweep` and the schedule. Three passes:
 * open uploads past `expiresAt` become `expired`, open uploads idle since before the threshold
 * become `aborted` (both with their COS upload aborted), then COS multipart uploads nobody owns
 * are aborted. Every store change is the conditional `open → …` transition, so a part recorded,
 * a complete started, or a concurrent sweep wins over this run, and the report lists only what
 * this run won. Safe to run concurrently with itself.
 */
export async function sweep(deps: CoreDeps, opts: SweepOptions = {}): Promise<SweepReport> {
  const start = opts.cursor ? decodeSweepCursor(opts.cursor) : undefined;
  const budget = { ...DEFAULT_SWEEP_BUDGET, ...opts.budget };
  const now = deps.clock.now();
  const olderThanSeconds = opts.olderThanSeconds ?? deps.limits.staleAfterSeconds;
  const dryRun = opts.dryRun ?? false;
  const run: SweepRun = {
    deps,
    log: deps.log.child({ component: 'sweep' }),
    dryRun,
    now: now.toISOString(),
    threshold: new Date(now.getTime() - olderThanSeconds * 1000).toISOString(),
    uploadsLeft: budget.uploads,
    cosLeft: budget.cosListings,
    seen: new Set(),
    report: { aborted: [], expired: [], orphans: [], redriven: [], dryRun, more: false, nextCursor: null, errors: 0 },
  };

  const expiredMore = await storePass(run, (limit, cursor) => deps.store.listOpenExpired(run.now, limit, cursor));
  const staleMore = await storePass(run, (limit, cursor) =>
    deps.store.listOpenInactiveSince(run.threshold, limit, cursor),
  );
  const redriveMore = await storePass(
    run,
    (limit, cursor) => deps.store.list({ state: 'completing', limit, cursor }),
    redriveOne,
  );
  const cos = await reconcileCos(run, start);

  const { report } = run;
  report.more = expiredMore || staleMore || redriveMore || cos.more;
  report.nextCursor = cos.nextCursor;
  run.log[report.errors > 0 ? 'warn' : 'info']('sweep summary', {
    dryRun,
    olderThanSeconds,
    aborted: report.aborted.length,
    expired: report.expired.length,
    orphans: report.orphans.length,
    redriven: report.redriven.length,
    errors: report.errors,
    more: report.more,
    uploadsExamined: budget.uploads - run.uploadsLeft,
    cosExamined: budget.cosListings - run.cosLeft,
  });
  return report;
}

type Lister = (limit: number, cursor?: string) => Promise<Page<UploadRecord>>;

/** One store listing, page by page, within the uploads budget. True when work was left. */
async function storePass(
  run: SweepRun,
  list: Lister,
  judge: (run: SweepRun, u: UploadRecord) => Promise<void> = endOne,
): Promise<boolean> {
  // Out of budget before starting: a one-item probe says whether this pass had work at all.
  if (run.uploadsLeft <= 0) return (await list(1)).items.length > 0;
  let cursor: string | undefined;
  // A page may come back empty with a cursor (DynamoDB filters after reading), so pages are capped too.
  for (let pages = 0; run.uploadsLeft > 0 && pages < MAX_STORE_PAGES; pages++) {
    const page = await list(Math.min(STORE_PAGE, run.uploadsLeft), cursor);
    const items = page.items.slice(0, run.uploadsLeft);
    run.uploadsLeft -= items.length;
    await forEachLimited(items, CONCURRENCY, (u) => judge(run, u));
    if (!page.nextCursor) return items.length < page.items.length;
    cursor = page.nextCursor;
  }
  return true;
}

/** Re-reads the upload (the listing may be stale) and ends it only if it still deserves it. */
async function endOne(run: SweepRun, listed: UploadRecord): Promise<void> {
  if (run.seen.has(listed.id)) return;
  run.seen.add(listed.id);
  const { store, clock } = run.deps;
  try {
    const fresh = await store.get(listed.id);
    const to = fresh ? sweepVerdict(fresh, run.now, run.threshold) : null;
    if (!fresh || !to) {
      run.log.debug('sweep skip', { uploadId: listed.id, state: fresh?.state ?? 'gone' });
      return;
    }
    const reason = to === 'expired' ? 'expired' : 'stale';
    if (!run.dryRun) {
      // The condition is the guard: if a complete moved it to `completing`, or another sweep
      // ended it, since the read above, this write loses and the upload is not reported.
      // A stale abort also requires the upload to be still idle, so a part recorded since wins.
      const idleBefore = to === 'aborted' ? run.threshold : undefined;
      const ended = await store.transition(fresh.id, { from: ['open'], to, at: clock.now().toISOString(), idleBefore });
      if (!ended) {
        run.log.info('sweep lost race', { uploadId: fresh.id, wanted: to });
        return;
      }
    }
    (to === 'expired' ? run.report.expired : run.report.aborted).push(fresh.id);
    run.log.info('sweep action', {
      action: to === 'expired' ? 'expire' : 'abort',
      uploadId: fresh.id,
      reason,
      lastActivityAt: fresh.lastActivityAt,
      expiresAt: fresh.expiresAt,
      dryRun: run.dryRun,
    });
    if (!run.dryRun) await cleanCosOrCount(run, fresh);
  } catch (e) {
    run.report.errors++;
    run.log.warn('sweep action failed', { uploadId: listed.id, error: errorCode(e) });
  }
}

/**
 * An upload in `completing` whose worker died (its lease ran out, or none ever claimed it): the lease
 * is released by a conditional write — in AWS the table's stream sees it and starts a worker — and
 * the trigger is told, for where no stream runs. A live worker's upload is left alone.
 */
async function redriveOne(run: SweepRun, listed: UploadRecord): Promise<void> {
  const { store, clock, completions } = run.deps;
  try {
    const now = clock.now();
    if (!isOrphanedCompletion(listed, now)) return;
    if (!run.dryRun) {
      const released = await store.transition(listed.id, {
        from: ['completing'],
        to: 'completing',
        set: { leaseUntil: null },
        leaseFreeAt: now.toISOString(),
        at: now.toISOString(),
      });
      if (!released) return;
      completions.started(listed.id);
    }
    run.report.redriven.push(listed.id);
    run.log.info('sweep action', {
      action: 'redrive',
      uploadId: listed.id,
      leaseUntil: listed.leaseUntil,
      dryRun: run.dryRun,
    });
  } catch (e) {
    run.report.errors++;
    run.log.warn('sweep redrive failed', { uploadId: listed.id, error: errorCode(e) });
  }
}

/** The store already says ended; a failed COS call leaves a remnant the orphan pass reconciles. */
async function cleanCosOrCount(run: SweepRun, upload: UploadRecord): Promise<void> {
  try {
    await cleanCos(run.deps, upload);
  } catch (e) {
    run.report.errors++;
    run.log.warn('sweep cos cleanup failed', { uploadId: upload.id, key: upload.key, error: errorCode(e) });
  }
}
