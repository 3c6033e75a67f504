/**
 * The sweep: one timer tick of the sweeper. It claims the tracked jobs that are due (under a lease),
 * asks aicontent about each with bounded concurrency, records what it learned, and notifies when a job
 * ends. What a poll's answer or a notification's try changes (reschedule with backoff, give up, retry
 * the news later…) is decided in decisions.ts; this file schedules the work, applies those decisions,
 * counts them in the summary and logs them.
 *
 * Notifications run beside the polls, in lanes of their own (a quarter of SWEEP_CONCURRENCY, at least
 * one): a target that never answers holds a lane for one try (the notifier's timeout), never a poll
 * worker. A job's notification is tried at most once per sweep, and none starts or runs past the sweep's
 * deadline; one not tried for want of time is due at once for the next sweep.
 *
 * Safe under overlapping ticks and crashes: jobs are leased (two sweepers never hold the same job),
 * every write is a compare-and-set, and a notification is recorded as sent only after it was sent
 * (at least once; its idempotency key lets the receiver drop a repeat). One bad job never fails the
 * sweep: its error is recorded on the job and counted in the summary.
 *
 * What it logs says why: each failed poll (job, code, message), each notification sent or failed (with
 * its target), one warning naming the probable cause when most polls fail the same way, and "sweep
 * done" with the errors by code. A sweep that claimed nothing writes no line of its own (debug only):
 * an idle sweeper's tick is the invocation's one line.
 */
import type { QueryOptions, QueryResult } from '#shared/aicontent/client.ts';
import type { SweepPolicy } from '#shared/config.ts';
import { AppError } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';
import { describeTarget } from '#shared/notify/describeTarget.ts';
import {
  decideNotification,
  decidePoll,
  type NotifyOutcome,
  notifyNextSweep,
  type PollDecision,
  type PollOutcome,
} from './decisions.ts';
import type { JobChanges, JobStore, NotifyTarget, TrackedJob } from './jobStore.ts';
import { errorCode, pollFailure, pollTally } from './pollFailures.ts';
import { type Claimed, claimAndWork, lanes } from './workers.ts';

export interface Notifier {
  /** The job's own target, else the deployment's default, else null (nobody to tell). */
  targetFor(job: TrackedJob): NotifyTarget | null;
  /**
   * Sends the news; throws if it could not. An error whose `final` is true says no later try can
   * succeed either (the notification then ends `failed` at once).
   */
  notify(job: TrackedJob, options?: { deadline?: number; signal?: AbortSignal }): Promise<void>;
}

export interface SweepDeps {
  store: JobStore;
  query: (jobId: string, options: QueryOptions) => Promise<Pick<QueryResult, 'job'>>;
  notifier: Notifier;
  log: Logger;
  /** Who holds the leases this sweep takes (unique per invocation). */
  owner: string;
  now?: () => number;
  random?: () => number;
}

export interface SweepLimits {
  /** When the invocation ends; work stops SWEEP_SAFETY_MARGIN_SECONDS before. */
  deadline: number;
  signal?: AbortSignal | undefined;
}

export interface SweepSummary {
  claimed: number;
  succeeded: number;
  failed: number;
  rescheduled: number;
  gaveUp: number;
  notified: number;
  /** Notification tries that failed (each is retried on a later sweep, or ends `failed`). */
  notifyFailed: number;
  /** Notifications given up this sweep: now `failed`. */
  notifyGaveUp: number;
  /** Notifications not tried for want of time: due at once for the next sweep. */
  notifyDeferred: number;
  /** Polls that failed (the job was rescheduled or given up), and jobs the sweep could not save or handle. */
  errors: number;
  /** `errors` by code (the code a failed poll leaves in the job's `lastError`); they add up to `errors`. */
  errorsByCode: Record<string, number>;
  /** Polls aicontent throttled (`UpstreamThrottled`), after the client's own retries. */
  throttled: number;
  /** Claimed but not started before time ran out: handed back at once. */
  released: number;
  /** Commits refused because the lease had expired and another sweeper took the job. */
  lostLeases: number;
  durationMs: number;
}

/** The share of the sweep's concurrency that notifications may take: a quarter, at least one lane. */
export function notificationLanes(concurrency: number): number {
  return Math.max(1, Math.floor(concurrency / 4));
}

export async function sweep(
  deps: SweepDeps,
  policy: SweepPolicy,
  limits: SweepLimits,
): Promise<SweepSummary> {
  const run = new SweepRun(deps, policy, limits);
  if (policy.leaseMs < limits.deadline - run.startedAt) {
    deps.log.warn('the lease is shorter than the sweep may run: raise LEASE_SECONDS', {
      leaseMs: policy.leaseMs,
    });
  }
  const notices = lanes(
    notificationLanes(policy.concurrency),
    (notice: Notice) => sendNotice(run, notice),
    run.timeLeft,
  );
  const unstarted = await claimAndWork({
    workers: policy.concurrency,
    claim: () => claimChunk(run),
    work: (job) => handleJob(run, job, notices),
    mayStart: run.timeLeft,
  });
  // Out of time: hand back what was claimed but not started, so the next sweep need not wait out the
  // lease; and keep for the next sweep, due at once, the news not sent for want of time.
  for (const job of unstarted) {
    run.count('released');
    run.save(job, {});
  }
  for (const notice of await notices.drain()) settleNotice(run, notice, { outcome: 'deferred' });
  await run.saved();
  return report(run);
}

type Counter = Exclude<keyof SweepSummary, 'durationMs' | 'errors' | 'errorsByCode'>;

/** One sweep's clock, deadline, counts and commits in flight: what its steps share. */
class SweepRun {
  readonly deps: SweepDeps;
  readonly policy: SweepPolicy;
  readonly limits: SweepLimits;
  readonly log: Logger;
  readonly now: () => number;
  readonly random: () => number;
  readonly startedAt: number;
  /** Nothing starts, and no poll or notification runs, past this: the deadline less the safety margin. */
  readonly stopAt: number;
  readonly summary: SweepSummary = {
    claimed: 0,
    succeeded: 0,
    failed: 0,
    rescheduled: 0,
    gaveUp: 0,
    notified: 0,
    notifyFailed: 0,
    notifyGaveUp: 0,
    notifyDeferred: 0,
    errors: 0,
    errorsByCode: {},
    throttled: 0,
    released: 0,
    lostLeases: 0,
    durationMs: 0,
  };
  /** The sweep's polls and failures, to name the probable cause when most fail alike. */
  readonly polls = pollTally();
  private readonly saving = new Set<Promise<void>>();

  constructor(deps: SweepDeps, policy: SweepPolicy, limits: SweepLimits) {
    this.deps = deps;
    this.policy = policy;
    this.limits = limits;
    this.log = deps.log;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.startedAt = this.now();
    this.stopAt = limits.deadline - policy.safetyMarginMs;
  }

  /** Whether there is time left to start something (a bound function: handed to the schedulers). */
  readonly timeLeft = (): boolean => this.stopAt - this.now() > 0 && !this.limits.signal?.aborted;

  count(counter: Counter): void {
    this.summary[counter]++;
  }

  /** Counts an error of the sweep, by its code. */
  countError(code: string): void {
    this.summary.errors++;
    this.summary.errorsByCode[code] = (this.summary.errorsByCode[code] ?? 0) + 1;
    if (code === 'UpstreamThrottled') this.summary.throttled++;
  }

  /**
   * Commits the job's changes under this sweep's lease. Not awaited by the workers (the next job need
   * not wait for the store, which may hold a commit back to send it with others: shared/stores/redis/commitWindow.ts):
   * `saved()` waits for them all. A commit that fails leaves the job to its lease's end.
   */
  save(job: TrackedJob, changes: JobChanges): void {
    const saved = this.deps.store.commit(job, this.deps.owner, changes).then(
      (stored) => {
        if (stored === null) this.count('lostLeases');
      },
      (error: unknown) => {
        this.countError(errorCode(error));
        this.log.error('could not save a job', { jobId: job.id, error });
      },
    );
    this.saving.add(saved);
    saved.finally(() => this.saving.delete(saved));
  }

  async saved(): Promise<void> {
    await Promise.all(this.saving);
  }
}

/**
 * The next chunk of due jobs, leased to this sweep: twice the concurrency at most, within SWEEP_BATCH_SIZE.
 * Every claim uses the sweep's start as "now", so a job rescheduled during this sweep waits for the next.
 */
async function claimChunk(run: SweepRun): Promise<Claimed<TrackedJob>> {
  const { policy, summary } = run;
  const limit = Math.min(policy.concurrency * 2, policy.batchSize - summary.claimed);
  if (limit <= 0 || !run.timeLeft()) return { items: [], more: false };
  const jobs = await run.deps.store.claimDue({
    owner: run.deps.owner,
    now: run.startedAt,
    limit,
    leaseMs: policy.leaseMs,
  });
  summary.claimed += jobs.length;
  return { items: jobs, more: jobs.length === limit };
}

/** Polls a pending job; then hands a job that ended, and needs its news sent, to the notices, or saves it. */
async function handleJob(
  run: SweepRun,
  job: TrackedJob,
  notices: { add(notice: Notice): void },
): Promise<void> {
  try {
    const changes = job.state === 'pending' ? await pollJob(run, job) : {};
    if (needsNotice({ ...job, ...changes })) notices.add({ job, changes });
    else run.save(job, changes);
  } catch (error) {
    run.countError(errorCode(error));
    run.log.error('job failed in sweep', { jobId: job.id, error });
  }
}

/** Asks aicontent about a pending job, and counts and logs what that decides: the changes to save. */
async function pollJob(run: SweepRun, job: TrackedJob): Promise<JobChanges> {
  let polled: PollOutcome;
  try {
    // The deadline bounds every attempt; the invocation's signal is left out on purpose: shared by
    // dozens of requests in flight, its abort listeners would cost more CPU than the requests.
    polled = { upstream: (await run.deps.query(job.id, { deadline: run.stopAt })).job };
  } catch (error) {
    if (!run.timeLeft()) {
      run.count('released'); // cut short by our own deadline: not the job's fault; handed back as it was
      return {};
    }
    polled = { error };
  }
  run.polls.polled();
  const decision = decidePoll(job, polled, run.policy, run.now(), run.random);
  run.count(decision.outcome);
  if (decision.errorCode !== undefined) run.countError(decision.errorCode);
  if ('error' in polled) sayPollFailed(run, job, polled.error, decision);
  if (decision.unknownStatus !== undefined) {
    run.log.warn('unknown upstream job status: treated as pending', {
      jobId: job.id,
      status: decision.unknownStatus,
    });
  }
  return decision.changes;
}

/** One line per failed poll: the job, the code and message, and what happens to the job next. */
function sayPollFailed(run: SweepRun, job: TrackedJob, error: unknown, { changes }: PollDecision): void {
  const failure = pollFailure(error);
  run.polls.failed(failure);
  const fields = {
    jobId: job.id,
    ...failure,
    attempts: changes.attempts,
    ...(changes.state === 'gave_up' ? { gaveUp: changes.reason } : { nextPollAt: iso(changes.nextPollAt) }),
  };
  // Our own errors say what they are; anything else is a bug, logged with its stack.
  if (error instanceof AppError) run.log.warn('poll failed', fields);
  else run.log.error('poll failed', { ...fields, error });
}

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/** A job to notify, with what its poll (if any) taught us: saved together once the news went out. */
interface Notice {
  job: TrackedJob;
  changes: JobChanges;
}

const needsNotice = (ended: TrackedJob) =>
  ended.state !== 'pending' && (ended.notification === 'none' || ended.notification === 'pending');

/** What came of a notification's try, and to whom (for the log). */
type NotifyTry = NotifyOutcome & { target?: string };

/** Tries once to send the news of a job that ended, then saves the job with what came of it. */
async function sendNotice(run: SweepRun, notice: Notice): Promise<void> {
  const ended = { ...notice.job, ...notice.changes };
  let tried: NotifyTry;
  try {
    tried = await tryNotify(run, ended);
  } catch (error) {
    run.countError(errorCode(error));
    run.log.error('notification failed in sweep', { jobId: ended.id, error });
    run.save(notice.job, { ...notice.changes, ...notifyNextSweep(run.now()) });
    return;
  }
  settleNotice(run, notice, tried, ended);
}

async function tryNotify(run: SweepRun, ended: TrackedJob): Promise<NotifyTry> {
  const to = run.deps.notifier.targetFor(ended);
  if (!to) return { outcome: 'noTarget' };
  const target = describeTarget(to); // never a URL's query string, which may hold a token
  try {
    await run.deps.notifier.notify(ended, { deadline: run.stopAt, signal: run.limits.signal });
  } catch (error) {
    // Cut short by our own deadline, the try does not count.
    return run.timeLeft() ? { outcome: 'failed', error, target } : { outcome: 'deferred' };
  }
  return { outcome: 'sent', target };
}

/** Counts and logs what came of a notice, and saves the job with it. */
function settleNotice(
  run: SweepRun,
  { job, changes }: Notice,
  tried: NotifyTry,
  ended: TrackedJob = { ...job, ...changes },
): void {
  const decision = decideNotification(ended, tried, run.policy, run.now());
  const { notifyAttempts } = decision.changes;
  switch (tried.outcome) {
    case 'sent':
      run.count('notified');
      run.log.info('notification sent', {
        jobId: job.id,
        state: ended.state,
        target: tried.target,
        notifyAttempts,
      });
      break;
    case 'deferred':
      run.count('notifyDeferred');
      break;
    case 'failed': {
      run.count('notifyFailed');
      const { error, target } = tried;
      const said = { jobId: job.id, target, code: errorCode(error), error, notifyAttempts };
      if (decision.outcome === 'gaveUp') {
        run.count('notifyGaveUp');
        run.log.error('notification failed for good', said);
      } else {
        run.log.warn('notification failed: will retry', { ...said, retryMs: decision.retryMs });
      }
      break;
    }
  }
  run.save(job, { ...changes, ...decision.changes });
}

/** Ends the sweep: its duration, the probable cause of failed polls, "sweep done", its record for /stats. */
async function report(run: SweepRun): Promise<SweepSummary> {
  const { summary, log } = run;
  summary.durationMs = run.now() - run.startedAt;
  const common = run.polls.commonFailure();
  if (common) log.warn(`most polls failed with ${common.code}: ${common.cause}`, common);
  // An idle tick (nothing due) is the invocation's own line; its summary, all zeros, only at debug.
  if (summary.claimed === 0) log.debug('sweep done', { ...summary });
  else log.info('sweep done', { ...summary });
  await recordSweep(run.deps.store, summary, run.startedAt, log);
  return summary;
}

/** Keeps the sweep's numbers for `GET /stats`; the sweep's work is done either way, so a failure only logs. */
async function recordSweep(
  store: JobStore,
  summary: SweepSummary,
  startedAt: number,
  log: Logger,
): Promise<void> {
  const { durationMs, claimed, succeeded, failed, gaveUp, rescheduled, notified, notifyFailed, throttled } =
    summary;
  try {
    await store.recordSweep({
      startedAt,
      durationMs,
      claimed,
      succeeded,
      failed,
      gaveUp,
      rescheduled,
      notified,
      notifyFailed,
      throttled,
      errors: summary.errorsByCode,
    });
  } catch (error) {
    log.error('could not record the sweep for GET /stats', { error });
  }
}
