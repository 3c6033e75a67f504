/**
 * The sweep: one timer tick of the sweeper. It claims the tracked jobs that are due (under a lease),
 * asks aicontent about each with bounded concurrency, records what it learned, reschedules pending
 * jobs with backoff, gives up on jobs past their budget, and notifies when a job ends.
 *
 * Safe under overlapping ticks and crashes: jobs are leased (two sweepers never hold the same job),
 * every write is a compare-and-set, and a notification is recorded as sent only after it was sent
 * (at least once; its idempotency key lets the receiver drop a repeat). One bad job never fails the
 * sweep: its error is recorded on the job and counted in the summary.
 */
import type { QueryOptions, QueryResult } from '#shared/aicontent/client.ts';
import type { Job } from '#shared/aicontent/job.ts';
import { backoffDelay } from '#shared/backoff.ts';
import type { SweepPolicy } from '#shared/config.ts';
import { AppError, UNEXPOSED } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';
import type { JobChanges, JobStore, NotifyTarget, TrackedJob } from './jobStore.ts';

export interface Notifier {
  /** The job's own target, else the deployment's default, else null (nobody to tell). */
  targetFor(job: TrackedJob): NotifyTarget | null;
  /** Sends the news; throws if it could not. */
  notify(job: TrackedJob, options: { deadline: number; signal?: AbortSignal | undefined }): Promise<void>;
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
  notifyFailed: number;
  /** Polls that failed (the job was rescheduled or given up). */
  errors: number;
  /** Claimed but not started before time ran out: handed back at once. */
  released: number;
  /** Commits refused because the lease had expired and another sweeper took the job. */
  lostLeases: number;
  durationMs: number;
}

type Counter = Exclude<keyof SweepSummary, 'durationMs'>;

/**
 * What a job's `lastError` says, which `GET /jobs` shows: a stable code and a message of ours
 * (`AppError.summary`), never raw transport text; the log has the rest.
 */
function errorText(error: unknown): string {
  return error instanceof AppError ? error.summary : `InternalError: ${UNEXPOSED}`;
}

function retryAfterOf(error: unknown): number {
  const value =
    error && typeof error === 'object' && 'retryAfterMs' in error ? Number(error.retryAfterMs) : 0;
  return Number.isFinite(value) ? value : 0;
}

/** How long commits wait to go out together: one socket write to the store for many jobs. */
const COMMIT_WINDOW_MS = 5;

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
    errors: 0,
    released: 0,
    lostLeases: 0,
    durationMs: 0,
  };
  const count = (counter: Counter) => {
    summary[counter]++;
  };
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
      count('errors');
      // The client's errors say what they are in lastError; anything else only the log can tell.
      if (!(error instanceof AppError)) deps.log.error('poll failed', { jobId: job.id, error });
      const at = now();
      const changes = { attempts, lastPolledAt: at, lastError: errorText(error) };
      const reason = budgetSpent(job, attempts, at);
      if (reason) return { ...changes, state: 'gave_up', reason, finishedAt: at, nextPollAt: null };
      count('rescheduled');
      return { ...changes, nextPollAt: at + pollDelay(attempts, retryAfterOf(error)) };
    }
    const at = now();
    const seen = { attempts, lastPolledAt: at, lastError: null, status: upstream.status };
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
    if (reason) return { ...seen, state: 'gave_up', reason, finishedAt: at, nextPollAt: null };
    count('rescheduled');
    return { ...seen, nextPollAt: at + pollDelay(attempts, 0) };
  }

  /** Sends the news of a job that ended; the changes record whether it went out. */
  async function notify(ended: TrackedJob): Promise<JobChanges> {
    if (!deps.notifier.targetFor(ended)) return { notification: 'none', nextPollAt: null };
    const notifyAttempts = ended.notifyAttempts + 1;
    try {
      await deps.notifier.notify(ended, { deadline: stopAt, signal: limits.signal });
      count('notified');
      return { notification: 'sent', notifyAttempts, nextPollAt: null };
    } catch (error) {
      count('notifyFailed');
      const retryMs = backoffDelay(
        notifyAttempts,
        { baseMs: policy.notifyRetryMs, capMs: 3_600_000, factor: 2 },
        () => 1,
      );
      deps.log.warn('notification failed: will retry', { jobId: ended.id, error, retryMs });
      return {
        notification: 'pending',
        notifyAttempts,
        lastError: errorText(error),
        nextPollAt: now() + retryMs,
      };
    }
  }

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
    const ended = { ...job, ...changes };
    if (ended.state !== 'pending' && ended.notification !== 'sent')
      changes = { ...changes, ...(await notify(ended)) };
    save(job, changes);
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
        count('errors');
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
          count('errors');
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

  // Out of time: hand back what was claimed but not started, so the next sweep need not wait out the lease.
  for (const job of queue.splice(0)) {
    count('released');
    save(job, {});
  }
  await Promise.all(saving);
  summary.durationMs = now() - startedAt;
  deps.log.info('sweep done', { ...summary });
  return summary;
}
