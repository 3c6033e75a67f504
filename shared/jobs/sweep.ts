/**
 * The sweep: one timer tick of the sweeper. It claims the tracked jobs that are due (under a lease),
 * asks aicontent about each with bounded concurrency, records what it learned, reschedules pending
 * jobs with backoff, gives up on jobs past their budget, and notifies when a job ends.
 *
 * Notifications run beside the polls, in lanes of their own (a quarter of SWEEP_CONCURRENCY, at least
 * one): a target that never answers holds a lane for one try (the notifier's timeout), never a poll
 * worker. A job's notification is tried at most once per sweep, and none starts or runs past the sweep's
 * deadline; one not tried for want of time is due at once for the next sweep. It ends `failed` after
 * NOTIFY_MAX_ATTEMPTS tries, or at once when the notifier says no later try can succeed (`final`).
 *
 * A job aicontent says does not exist is given up once it said so NOT_FOUND_CONFIRMATIONS times in a
 * row, at least NOT_FOUND_RECHECK_MS apart (a new id can take a moment to be known everywhere).
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
import type { Job } from '#shared/aicontent/job.ts';
import { backoffDelay } from '#shared/backoff.ts';
import type { SweepPolicy } from '#shared/config.ts';
import { AppError, UNEXPOSED } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';
import { describeTarget } from '#shared/notify/notifyTarget.ts';
import type { JobChanges, JobStore, NotifyTarget, TrackedJob } from './jobStore.ts';
import { errorCode, pollFailure, pollTally } from './pollFailures.ts';

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

type Counter = Exclude<keyof SweepSummary, 'durationMs' | 'errors' | 'errorsByCode'>;

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/**
 * What a job's `lastError` says, which `GET /jobs` shows: a stable code and a message of ours
 * (`AppError.summary`), never raw transport text; the log has the rest.
 */
function errorText(error: unknown): string {
  return error instanceof AppError ? error.summary : `InternalError: ${UNEXPOSED}`;
}

/** Whether the error says aicontent does not know the job. */
function isJobNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'JobNotFound';
}

/** Whether a notifier's error says no later try can succeed. */
function isFinal(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'final' in error && error.final === true;
}

function retryAfterOf(error: unknown): number {
  const value =
    error && typeof error === 'object' && 'retryAfterMs' in error ? Number(error.retryAfterMs) : 0;
  return Number.isFinite(value) ? value : 0;
}

/** How long commits wait to go out together: one socket write to the store for many jobs. */
export const COMMIT_WINDOW_MS = 5;

/** "No such job" answers in a row, each at least NOT_FOUND_RECHECK_MS after the last, before giving up. */
export const NOT_FOUND_CONFIRMATIONS = 3;
export const NOT_FOUND_RECHECK_MS = 60_000;
/** The longest wait before a notification's next try. */
const NOTIFY_RETRY_CAP_MS = 3_600_000;

/** The share of the sweep's concurrency that notifications may take: a quarter, at least one lane. */
export function notificationLanes(concurrency: number): number {
  return Math.max(1, Math.floor(concurrency / 4));
}

/**
 * Runs `run` on the items added, at most `slots` at a time, starting one only while `canStart()`.
 * `drain` waits for the runs under way (which start more while they may) and hands back the items never
 * started. `run` must not reject.
 */
export function lanes<T>(slots: number, run: (item: T) => Promise<void>, canStart: () => boolean) {
  const waiting: T[] = [];
  const running = new Set<Promise<void>>();
  const startWhatFits = () => {
    while (running.size < slots && waiting.length > 0 && canStart()) {
      const task: Promise<void> = run(waiting.shift() as T).finally(() => {
        running.delete(task);
        startWhatFits();
      });
      running.add(task);
    }
  };
  return {
    add(item: T): void {
      waiting.push(item);
      startWhatFits();
    },
    async drain(): Promise<T[]> {
      while (running.size > 0) await Promise.race(running);
      return waiting.splice(0);
    },
  };
}

/**
 * Wraps `run` so that calls made within `windowMs` of each other are all started in the same tick. With
 * a pipelining client (ioredis) their commands then leave in one write instead of one write each; a
 * socket write per job is a large share of a sweep's CPU (bench/sweep.bench.ts).
 */
export function coalesce<A extends unknown[], R>(run: (...args: A) => Promise<R>, windowMs: number) {
  let waiting: { args: A; resolve: (value: Promise<R>) => void }[] = [];
  const flush = () => {
    const batch = waiting;
    waiting = [];
    for (const { args, resolve } of batch) resolve(run(...args));
  };
  return (...args: A): Promise<R> =>
    new Promise<R>((resolve) => {
      if (waiting.length === 0) setTimeout(flush, windowMs);
      waiting.push({ args, resolve });
    });
}

export async function sweep(
  deps: SweepDeps,
  policy: SweepPolicy,
  limits: { deadline: number; signal?: AbortSignal | undefined },
): Promise<SweepSummary> {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const startedAt = now();
  const commit = coalesce(deps.store.commit.bind(deps.store), COMMIT_WINDOW_MS);
  const summary: SweepSummary = {
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
  const count = (counter: Counter) => {
    summary[counter]++;
  };
  /** Counts an error of the sweep, by its code. */
  const countError = (error: unknown) => {
    const code = errorCode(error);
    summary.errors++;
    summary.errorsByCode[code] = (summary.errorsByCode[code] ?? 0) + 1;
    if (code === 'UpstreamThrottled') summary.throttled++;
  };
  const polls = pollTally();
  const stopAt = limits.deadline - policy.safetyMarginMs;
  const timeLeft = () => stopAt - now() > 0 && !limits.signal?.aborted;
  if (policy.leaseMs < limits.deadline - startedAt) {
    deps.log.warn('the lease is shorter than the sweep may run: raise LEASE_SECONDS', {
      leaseMs: policy.leaseMs,
    });
  }

  const pollDelay = (attempts: number, retryAfterMs: number) => {
    const ceiling = {
      baseMs: policy.pollIntervalMs,
      capMs: policy.maxPollIntervalMs,
      factor: policy.backoffFactor,
    };
    const draw = policy.jitter === 'full' ? random : () => 1;
    return backoffDelay(attempts, ceiling, draw, retryAfterMs);
  };

  /** Why to stop polling a job still pending, or null to go on. */
  const budgetSpent = (job: TrackedJob, attempts: number, at: number): string | null => {
    if (attempts >= policy.maxAttempts)
      return `no terminal state after ${attempts} polls (MAX_POLL_ATTEMPTS)`;
    if (at - job.firstSeenAt >= policy.maxAgeMs) {
      return `no terminal state after ${Math.round((at - job.firstSeenAt) / 1000)} s (MAX_JOB_AGE_SECONDS)`;
    }
    return null;
  };

  const giveUp = (reason: string, at: number): JobChanges => ({
    state: 'gave_up',
    reason,
    finishedAt: at,
    nextPollAt: null,
  });

  /** A poll that failed: the job waits for its next poll, or is given up. */
  function pollFailed(job: TrackedJob, error: unknown, attempts: number): JobChanges {
    countError(error);
    const at = now();
    const changes = { attempts, lastPolledAt: at, lastError: errorText(error) };
    const next = isJobNotFound(error) ? notFound(job, changes, at) : pollLater(job, changes, error, at);
    sayPollFailed(job, error, next);
    return next;
  }

  function pollLater(job: TrackedJob, changes: JobChanges, error: unknown, at: number): JobChanges {
    const attempts = changes.attempts ?? job.attempts;
    const reason = budgetSpent(job, attempts, at);
    if (reason) return { ...changes, ...giveUp(reason, at) };
    count('rescheduled');
    return { ...changes, nextPollAt: at + pollDelay(attempts, retryAfterOf(error)) };
  }

  /** One line per failed poll: the job, the code and message, and what happens to the job next. */
  function sayPollFailed(job: TrackedJob, error: unknown, next: JobChanges): void {
    const failure = pollFailure(error);
    polls.failed(failure);
    const fields = {
      jobId: job.id,
      ...failure,
      attempts: next.attempts,
      ...(next.state === 'gave_up' ? { gaveUp: next.reason } : { nextPollAt: iso(next.nextPollAt) }),
    };
    // Our own errors say what they are; anything else is a bug, logged with its stack.
    if (error instanceof AppError) deps.log.warn('poll failed', fields);
    else deps.log.error('poll failed', { ...fields, error });
  }

  /** aicontent does not know the job: asked again a minute later at the soonest, given up once confirmed. */
  function notFound(job: TrackedJob, changes: JobChanges, at: number): JobChanges {
    const notFoundCount = job.notFoundCount + 1;
    const attempts = changes.attempts ?? job.attempts;
    const reason =
      notFoundCount >= NOT_FOUND_CONFIRMATIONS
        ? `not found: aicontent does not know the job (${notFoundCount} answers in a row, a minute or more apart)`
        : budgetSpent(job, attempts, at);
    if (reason) return { ...changes, notFoundCount, ...giveUp(reason, at) };
    count('rescheduled');
    const wait = Math.max(NOT_FOUND_RECHECK_MS, pollDelay(attempts, 0));
    return { ...changes, notFoundCount, nextPollAt: at + wait };
  }

  /** What polling the job teaches us, as changes to store. */
  async function poll(job: TrackedJob): Promise<JobChanges | 'release'> {
    const attempts = job.attempts + 1;
    let upstream: Job;
    try {
      // The deadline bounds every attempt; the invocation's signal is left out on purpose: shared by
      // dozens of requests in flight, its abort listeners would cost more CPU than the requests.
      ({ job: upstream } = await deps.query(job.id, { deadline: stopAt }));
    } catch (error) {
      if (!timeLeft()) return 'release'; // cut short by our own deadline: not the job's fault
      polls.polled();
      return pollFailed(job, error, attempts);
    }
    polls.polled();
    const at = now();
    const seen: JobChanges = { attempts, lastPolledAt: at, lastError: null, status: upstream.status };
    if (job.notFoundCount > 0) seen.notFoundCount = 0;
    if (upstream.state === 'unknown' && upstream.status !== job.status) {
      deps.log.warn('unknown upstream job status: treated as pending', {
        jobId: job.id,
        status: upstream.status,
      });
    }
    if (upstream.state === 'succeeded' || upstream.state === 'failed') {
      count(upstream.state);
      return { ...seen, state: upstream.state, images: upstream.images, finishedAt: at, nextPollAt: null };
    }
    const reason = budgetSpent(job, attempts, at);
    if (reason) return { ...seen, ...giveUp(reason, at) };
    count('rescheduled');
    return { ...seen, nextPollAt: at + pollDelay(attempts, 0) };
  }

  /** When a notification that failed is tried next: doubling from NOTIFY_RETRY_SECONDS, at most an hour. */
  function notifyRetryDelay(notifyAttempts: number, error: unknown): number {
    const backoff = { baseMs: policy.notifyRetryMs, capMs: NOTIFY_RETRY_CAP_MS, factor: 2 };
    return Math.min(
      NOTIFY_RETRY_CAP_MS,
      backoffDelay(notifyAttempts, backoff, () => 1, retryAfterOf(error)),
    );
  }

  /** A notification to try again on the next sweep, at once: its try was not its fault. */
  const notifyNextSweep = (): JobChanges => ({ notification: 'pending', nextPollAt: now() });

  /** A try that failed: tried again later, or given up (`failed`) when no try is left or could help. */
  function notifyFailed(ended: TrackedJob, target: string, error: unknown): JobChanges {
    if (!timeLeft()) {
      count('notifyDeferred'); // cut short by our own deadline: the try does not count
      return notifyNextSweep();
    }
    count('notifyFailed');
    const notifyAttempts = ended.notifyAttempts + 1;
    const lastError = errorText(error);
    const said = { jobId: ended.id, target, code: errorCode(error), error, notifyAttempts };
    if (isFinal(error) || notifyAttempts >= policy.notifyMaxAttempts) {
      count('notifyGaveUp');
      deps.log.error('notification failed for good', said);
      return { notification: 'failed', notifyAttempts, lastError, nextPollAt: null };
    }
    const retryMs = notifyRetryDelay(notifyAttempts, error);
    deps.log.warn('notification failed: will retry', { ...said, retryMs });
    return { notification: 'pending', notifyAttempts, lastError, nextPollAt: now() + retryMs };
  }

  /** Sends the news of a job that ended, once; the changes record whether it went out. */
  async function notify(ended: TrackedJob): Promise<JobChanges> {
    const to = deps.notifier.targetFor(ended);
    if (!to) return { notification: 'none', nextPollAt: null };
    const target = describeTarget(to); // never a URL's query string, which may hold a token
    try {
      await deps.notifier.notify(ended, { deadline: stopAt, signal: limits.signal });
    } catch (error) {
      return notifyFailed(ended, target, error);
    }
    count('notified');
    const notifyAttempts = ended.notifyAttempts + 1;
    deps.log.info('notification sent', { jobId: ended.id, state: ended.state, target, notifyAttempts });
    return { notification: 'sent', notifyAttempts, nextPollAt: null };
  }

  /** A job to notify, with what its poll (if any) taught us: saved together once the news went out. */
  interface Notice {
    job: TrackedJob;
    changes: JobChanges;
  }

  async function sendNotice({ job, changes }: Notice): Promise<void> {
    let sent: JobChanges;
    try {
      sent = await notify({ ...job, ...changes });
    } catch (error) {
      countError(error);
      deps.log.error('notification failed in sweep', { jobId: job.id, error });
      sent = notifyNextSweep();
    }
    save(job, { ...changes, ...sent });
  }

  const notices = lanes(notificationLanes(policy.concurrency), sendNotice, timeLeft);

  const needsNotice = (ended: TrackedJob) =>
    ended.state !== 'pending' && (ended.notification === 'none' || ended.notification === 'pending');

  async function handle(job: TrackedJob): Promise<void> {
    let changes: JobChanges = {};
    if (job.state === 'pending') {
      const polled = await poll(job);
      if (polled === 'release') {
        count('released');
      } else {
        changes = polled;
        if (changes.state === 'gave_up') count('gaveUp');
      }
    }
    if (needsNotice({ ...job, ...changes })) notices.add({ job, changes });
    else save(job, changes);
  }

  // Commits are not awaited by the workers (the next job need not wait for the store); the sweep
  // waits for all of them before it returns. A commit that fails leaves the job to its lease's end.
  const saving = new Set<Promise<void>>();
  function save(job: TrackedJob, changes: JobChanges): void {
    const saved = commit(job, deps.owner, changes).then(
      (stored) => {
        if (stored === null) count('lostLeases');
      },
      (error: unknown) => {
        countError(error);
        deps.log.error('could not save a job', { jobId: job.id, error });
      },
    );
    saving.add(saved);
    saved.finally(() => saving.delete(saved));
  }

  // Claims run one at a time, a chunk at a time, while the workers drain what was claimed. All use
  // the sweep's start as "now", so a job rescheduled during this sweep waits for the next one.
  const queue: TrackedJob[] = [];
  const chunk = Math.min(policy.batchSize, policy.concurrency * 2);
  let exhausted = false;
  let claiming: Promise<void> | undefined;
  const claim = async () => {
    const limit = Math.min(chunk, policy.batchSize - summary.claimed);
    if (limit <= 0 || !timeLeft()) {
      exhausted = true;
      return;
    }
    const jobs = await deps.store.claimDue({
      owner: deps.owner,
      now: startedAt,
      limit,
      leaseMs: policy.leaseMs,
    });
    summary.claimed += jobs.length;
    if (jobs.length < limit) exhausted = true;
    queue.push(...jobs);
  };
  const worker = async () => {
    for (;;) {
      if (!timeLeft()) return;
      const job = queue.shift();
      if (job) {
        try {
          await handle(job);
        } catch (error) {
          countError(error);
          deps.log.error('job failed in sweep', { jobId: job.id, error });
        }
        continue;
      }
      if (exhausted) return;
      claiming ??= claim().finally(() => {
        claiming = undefined;
      });
      await claiming;
    }
  };
  await Promise.all(Array.from({ length: policy.concurrency }, worker));

  // Out of time: hand back what was claimed but not started, so the next sweep need not wait out the
  // lease; and keep for the next sweep, due at once, the news not sent for want of time.
  for (const job of queue.splice(0)) {
    count('released');
    save(job, {});
  }
  for (const { job, changes } of await notices.drain()) {
    count('notifyDeferred');
    save(job, { ...changes, ...notifyNextSweep() });
  }
  await Promise.all(saving);
  summary.durationMs = now() - startedAt;
  const common = polls.commonFailure();
  if (common) deps.log.warn(`most polls failed with ${common.code}: ${common.cause}`, common);
  // An idle tick (nothing due) is the invocation's own line; its summary, all zeros, only at debug.
  if (summary.claimed === 0) deps.log.debug('sweep done', { ...summary });
  else deps.log.info('sweep done', { ...summary });
  await recordSweep(deps, summary, startedAt);
  return summary;
}

/** Keeps the sweep's numbers for `GET /stats`; the sweep's work is done either way, so a failure only logs. */
async function recordSweep(deps: SweepDeps, summary: SweepSummary, startedAt: number): Promise<void> {
  const { durationMs, claimed, succeeded, failed, gaveUp, rescheduled, notified, notifyFailed, throttled } =
    summary;
  try {
    await deps.store.recordSweep({
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
    deps.log.error('could not record the sweep for GET /stats', { error });
  }
}
