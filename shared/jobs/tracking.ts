/**
 * What callers see of tracking: registering a job (`POST /jobs`), listing tracked jobs by state for
 * operators (`GET /jobs?state=gave_up`), and an operator's hand on one job: untrack it
 * (`DELETE /jobs/{id}`), send its news again (`POST /jobs/{id}/notify`). Leases and versions stay inside
 * the store.
 */
import { AppError, InvalidInputError } from '#shared/errors.ts';
import type { Reply } from '#shared/fc/reply.ts';
import { describeTarget } from '#shared/notify/notifyTarget.ts';
import {
  type JobStore,
  TRACKED_STATES,
  type TrackedJob,
  type TrackedState,
  type TrackInput,
} from './jobStore.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** `Code: message`, as the sweeper records a failure; a code is a word, dots allowed (`Throttling.User`). */
const CODED = /^([A-Za-z][\w.]*): ([\s\S]*)$/;

/** A job's `lastError` as `{code, message}`; text recorded without a code is an `InternalError`'s. */
export function lastErrorView(text: string | null): { code: string; message: string } | null {
  if (text === null) return null;
  const coded = CODED.exec(text);
  return coded
    ? { code: coded[1] as string, message: coded[2] as string }
    : { code: 'InternalError', message: text };
}

/**
 * A tracked job as the API shows it: times as ISO-8601, the last error as `{code, message}`, the target
 * in words (`function on-job-done`, a webhook without its query string: null for the deployment's
 * default), no lease or version.
 */
export function trackingView(job: TrackedJob) {
  return {
    id: job.id,
    state: job.state,
    status: job.status,
    attempts: job.attempts,
    firstSeenAt: iso(job.firstSeenAt),
    nextPollAt: iso(job.nextPollAt),
    lastPolledAt: iso(job.lastPolledAt),
    lastError: lastErrorView(job.lastError),
    images: job.images,
    finishedAt: iso(job.finishedAt),
    reason: job.reason,
    notify: job.notify && describeTarget(job.notify),
    notification: job.notification,
    notifyAttempts: job.notifyAttempts,
  };
}

/** The job is not tracked (never was, or was untracked): 404. */
export class NotTrackedError extends AppError {
  override name = 'NotTrackedError';
  constructor(id: string) {
    super('NotTracked', `job ${JSON.stringify(id)} is not tracked`, { statusCode: 404 });
  }
}

/** `DELETE /jobs/{id}`: 204, no body over HTTP (`{"untracked": true}` by direct invocation). */
export async function untrackReply(store: JobStore, id: string): Promise<Reply> {
  if (!(await store.untrack(id))) throw new NotTrackedError(id);
  return { statusCode: 204, body: { untracked: true }, headers: { 'cache-control': 'no-store' } };
}

/**
 * `POST /jobs/{id}/notify`: the news of an ended job goes out (again) on the next sweep, its tries counted
 * afresh: 202 with the job. 409 `JobNotEnded` while it is pending (there is no news yet).
 */
export async function resendReply(store: JobStore, id: string, now: number): Promise<Reply> {
  const job = await store.requeueNotification({ id, now });
  if (!job) throw new NotTrackedError(id);
  if (job.state === 'pending') {
    throw new AppError(
      'JobNotEnded',
      `job ${JSON.stringify(id)} is still pending: its notification goes out when it ends`,
      { statusCode: 409 },
    );
  }
  return { statusCode: 202, body: { tracking: trackingView(job) }, headers: { 'cache-control': 'no-store' } };
}

/** How long to wait after `TooManyTrackedJobs`: about a sweep, which ends some jobs. */
export const TRACKING_FULL_RETRY_AFTER_MS = 60_000;

/**
 * 202 whether the job was new or already tracked: registering twice is harmless, and a job tracked
 * without a target (by a query, say) takes the one its owner brings. 409 `TargetConflict` when it is
 * tracked with another target already (which stays); 503 `TooManyTrackedJobs` past MAX_TRACKED_JOBS.
 */
export async function trackReply(store: JobStore, input: TrackInput): Promise<Reply> {
  const result = await store.track(input);
  if (result.outcome === 'full') {
    throw new AppError(
      'TooManyTrackedJobs',
      `${input.maxPending} jobs are being tracked already (MAX_TRACKED_JOBS); try again once some have ended`,
      { statusCode: 503, expose: true, retryAfterMs: TRACKING_FULL_RETRY_AFTER_MS },
    );
  }
  if (result.outcome === 'conflict') {
    throw new AppError(
      'TargetConflict',
      `job ${JSON.stringify(input.id)} is tracked already, to be notified elsewhere; it keeps that target`,
      { statusCode: 409 },
    );
  }
  return {
    statusCode: 202,
    body: { tracking: trackingView(result.job), created: result.outcome === 'created' },
    headers: { 'cache-control': 'no-store' },
  };
}

export const MAX_LIST_LIMIT = 500;

/** `state`, `limit` (1–500, default 100) and `cursor`, from a query string or a payload. */
export function parseListInput(input: Record<string, unknown>): {
  state: TrackedState;
  limit: number;
  cursor?: string;
} {
  const state = input.state;
  if (typeof state !== 'string' || !TRACKED_STATES.includes(state as TrackedState)) {
    throw new InvalidInputError(`state must be one of ${TRACKED_STATES.join(', ')}`, 'InvalidState');
  }
  const limit = input.limit === undefined ? 100 : Number(input.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new InvalidInputError(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`, 'InvalidLimit');
  }
  if (input.cursor !== undefined && typeof input.cursor !== 'string') {
    throw new InvalidInputError('cursor must be the string a previous page returned', 'InvalidCursor');
  }
  return { state: state as TrackedState, limit, ...(input.cursor ? { cursor: input.cursor } : {}) };
}

export async function listTracked(
  store: JobStore,
  input: { state: TrackedState; limit: number; cursor?: string },
): Promise<Reply> {
  const page = await store.list(input);
  return {
    statusCode: 200,
    body: { jobs: page.jobs.map(trackingView), cursor: page.cursor },
    headers: { 'cache-control': 'no-store' },
  };
}
