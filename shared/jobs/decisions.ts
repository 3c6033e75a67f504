/**
 * What the sweep decides about a job, as pure functions: given the job, what its poll or its
 * notification came to, the policy and the time, the changes to commit and what the sweep counts and
 * logs. No I/O, no clock, no logger: the sweep (sweep.ts) asks, saves, counts and logs.
 *
 * A pending job's poll ends it (aicontent says it succeeded or failed), reschedules it with backoff, or
 * gives it up once its budget is spent (MAX_POLL_ATTEMPTS polls, or MAX_JOB_AGE_SECONDS since it was
 * tracked). A job aicontent says does not exist is given up once it said so NOT_FOUND_CONFIRMATIONS times
 * in a row, at least NOT_FOUND_RECHECK_MS apart (a new id can take a moment to be known everywhere).
 *
 * A notification that failed is tried again later (doubling from NOTIFY_RETRY_SECONDS, at most an hour),
 * and ends `failed` after NOTIFY_MAX_ATTEMPTS tries, or at once when the notifier says no later try can
 * succeed (`final`). One not tried for want of time is due at once for the next sweep.
 */
import type { Job } from '#shared/aicontent/job.ts';
import { backoffDelay } from '#shared/backoff.ts';
import type { SweepPolicy } from '#shared/config.ts';
import { AppError, UNEXPOSED } from '#shared/errors.ts';
import type { JobChanges, TrackedJob } from './jobStore.ts';
import { errorCode } from './pollFailures.ts';

/** "No such job" answers in a row, each at least NOT_FOUND_RECHECK_MS after the last, before giving up. */
export const NOT_FOUND_CONFIRMATIONS = 3;
export const NOT_FOUND_RECHECK_MS = 60_000;
/** The longest wait before a notification's next try. */
export const NOTIFY_RETRY_CAP_MS = 3_600_000;

/** What a poll came to: aicontent's answer about the job, or the error that came instead. */
export type PollOutcome = { upstream: Job } | { error: unknown };

export interface PollDecision {
  changes: JobChanges;
  /** What the sweep's summary counts it as. */
  outcome: 'succeeded' | 'failed' | 'rescheduled' | 'gaveUp';
  /** A failed poll's code, as its `lastError` says: counted in the summary's `errorsByCode`. */
  errorCode?: string;
  /** A status we do not know, that the job did not have before: worth a warning (it counts as pending). */
  unknownStatus?: string;
}

/**
 * What a poll of `job` that came to `polled` at `at` changes. `random` draws the jitter of the next
 * poll's wait (called only when the job is rescheduled with full jitter).
 */
export function decidePoll(
  job: TrackedJob,
  polled: PollOutcome,
  policy: SweepPolicy,
  at: number,
  random: () => number,
): PollDecision {
  const when: PollTime = { policy, at, random };
  return 'upstream' in polled
    ? pollAnswered(job, polled.upstream, when)
    : pollFailed(job, polled.error, when);
}

/** What the decision of a poll depends on besides the job and what came of its poll. */
interface PollTime {
  policy: SweepPolicy;
  at: number;
  random: () => number;
}

function pollAnswered(job: TrackedJob, upstream: Job, when: PollTime): PollDecision {
  const { at } = when;
  const seen: JobChanges = {
    attempts: job.attempts + 1,
    lastPolledAt: at,
    lastError: null,
    status: upstream.status,
  };
  if (job.notFoundCount > 0) seen.notFoundCount = 0;
  const { state } = upstream;
  const decision: PollDecision =
    state === 'succeeded' || state === 'failed'
      ? {
          outcome: state,
          changes: { ...seen, state, images: upstream.images, finishedAt: at, nextPollAt: null },
        }
      : pollLater(job, seen, 0, when);
  if (state === 'unknown' && upstream.status !== job.status) decision.unknownStatus = upstream.status;
  return decision;
}

/** A poll that failed: the job waits for its next poll, or is given up. */
function pollFailed(job: TrackedJob, error: unknown, when: PollTime): PollDecision {
  const changes: JobChanges = {
    attempts: job.attempts + 1,
    lastPolledAt: when.at,
    lastError: errorText(error),
  };
  const decision = isJobNotFound(error)
    ? notFound(job, changes, when)
    : pollLater(job, changes, retryAfterOf(error), when);
  decision.errorCode = errorCode(error);
  return decision;
}

/** A job still pending: polled again after a backoff (and not before `retryAfterMs`), or given up. */
function pollLater(job: TrackedJob, changes: JobChanges, retryAfterMs: number, when: PollTime): PollDecision {
  const attempts = job.attempts + 1;
  const reason = budgetSpent(job, attempts, when);
  if (reason) return gaveUp(changes, reason, when.at);
  return rescheduled(changes, when.at + pollDelay(attempts, retryAfterMs, when));
}

/** aicontent does not know the job: asked again a minute later at the soonest, given up once confirmed. */
function notFound(job: TrackedJob, changes: JobChanges, when: PollTime): PollDecision {
  const attempts = job.attempts + 1;
  const notFoundCount = job.notFoundCount + 1;
  const counted = { ...changes, notFoundCount };
  const reason =
    notFoundCount >= NOT_FOUND_CONFIRMATIONS
      ? `not found: aicontent does not know the job (${notFoundCount} answers in a row, a minute or more apart)`
      : budgetSpent(job, attempts, when);
  if (reason) return gaveUp(counted, reason, when.at);
  return rescheduled(counted, when.at + Math.max(NOT_FOUND_RECHECK_MS, pollDelay(attempts, 0, when)));
}

/** Why to stop polling a job still pending after `attempts` polls, or null to go on. */
function budgetSpent(job: TrackedJob, attempts: number, { policy, at }: PollTime): string | null {
  if (attempts >= policy.maxAttempts) return `no terminal state after ${attempts} polls (MAX_POLL_ATTEMPTS)`;
  if (at - job.firstSeenAt >= policy.maxAgeMs) {
    return `no terminal state after ${Math.round((at - job.firstSeenAt) / 1000)} s (MAX_JOB_AGE_SECONDS)`;
  }
  return null;
}

/** The wait before the next poll: backoff from POLL_INTERVAL, never past MAX_POLL_INTERVAL (retry-after included). */
function pollDelay(attempts: number, retryAfterMs: number, { policy, random }: PollTime): number {
  const ceiling = {
    baseMs: policy.pollIntervalMs,
    capMs: policy.maxPollIntervalMs,
    factor: policy.backoffFactor,
  };
  return backoffDelay(attempts, ceiling, policy.jitter === 'full' ? random : () => 1, retryAfterMs);
}

function rescheduled(changes: JobChanges, nextPollAt: number): PollDecision {
  return { outcome: 'rescheduled', changes: { ...changes, nextPollAt } };
}

function gaveUp(changes: JobChanges, reason: string, at: number): PollDecision {
  return {
    outcome: 'gaveUp',
    changes: { ...changes, state: 'gave_up', reason, finishedAt: at, nextPollAt: null },
  };
}

/** What came of trying to send a job's news. */
export type NotifyOutcome =
  /** Nobody to tell: no target of its own, no default. */
  | { outcome: 'noTarget' }
  | { outcome: 'sent' }
  | { outcome: 'failed'; error: unknown }
  /** Not tried, or cut short by the sweep's deadline: not the notification's fault. */
  | { outcome: 'deferred' };

export interface NotifyDecision {
  changes: JobChanges;
  /**
   * `none`: nobody to tell; `retry`: a try that failed, to be tried again; `gaveUp`: a try that failed,
   * the last (the notification is now `failed`); `deferred`: due at once for the next sweep.
   */
  outcome: 'none' | 'sent' | 'retry' | 'gaveUp' | 'deferred';
  /** For `retry`: the wait before the next try. */
  retryMs?: number;
}

/** What a try to notify of the end of `ended` that came to `tried` at `at` changes. */
export function decideNotification(
  ended: TrackedJob,
  tried: NotifyOutcome,
  policy: SweepPolicy,
  at: number,
): NotifyDecision {
  switch (tried.outcome) {
    case 'noTarget':
      return { outcome: 'none', changes: { notification: 'none', nextPollAt: null } };
    case 'sent':
      return {
        outcome: 'sent',
        changes: { notification: 'sent', notifyAttempts: ended.notifyAttempts + 1, nextPollAt: null },
      };
    case 'deferred':
      return { outcome: 'deferred', changes: notifyNextSweep(at) };
    case 'failed':
      return notifyFailed(ended, tried.error, policy, at);
  }
}

/** A notification due at once for the next sweep, without a try counted. */
export function notifyNextSweep(at: number): JobChanges {
  return { notification: 'pending', nextPollAt: at };
}

/** A try that failed: tried again later, or given up (`failed`) when no try is left or could help. */
function notifyFailed(ended: TrackedJob, error: unknown, policy: SweepPolicy, at: number): NotifyDecision {
  const notifyAttempts = ended.notifyAttempts + 1;
  const lastError = errorText(error);
  if (isFinal(error) || notifyAttempts >= policy.notifyMaxAttempts) {
    return {
      outcome: 'gaveUp',
      changes: { notification: 'failed', notifyAttempts, lastError, nextPollAt: null },
    };
  }
  const retryMs = notifyRetryDelay(notifyAttempts, retryAfterOf(error), policy);
  const changes: JobChanges = {
    notification: 'pending',
    notifyAttempts,
    lastError,
    nextPollAt: at + retryMs,
  };
  return { outcome: 'retry', changes, retryMs };
}

/** When a notification that failed is tried next: doubling from NOTIFY_RETRY_SECONDS, at most an hour. */
function notifyRetryDelay(notifyAttempts: number, retryAfterMs: number, policy: SweepPolicy): number {
  const backoff = { baseMs: policy.notifyRetryMs, capMs: NOTIFY_RETRY_CAP_MS, factor: 2 };
  return Math.min(
    NOTIFY_RETRY_CAP_MS,
    backoffDelay(notifyAttempts, backoff, () => 1, retryAfterMs),
  );
}

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

/** The wait the error asks for (a server's `Retry-After`), 0 when it asks none. */
function retryAfterOf(error: unknown): number {
  const value =
    error && typeof error === 'object' && 'retryAfterMs' in error ? Number(error.retryAfterMs) : 0;
  return Number.isFinite(value) ? value : 0;
}
