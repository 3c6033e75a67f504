/**
 * What callers see of a tracked job (`trackingView`: no lease or version, which stay inside the store),
 * and what they may ask a list of tracked jobs for (`parseListInput`). The replies of the operator API
 * are built from these in shared/query/trackingReplies.ts.
 */
import { InvalidInputError } from '#shared/errors.ts';
import { describeTarget } from '#shared/notify/describeTarget.ts';
import type { Tracking } from '#shared/query/operatorApi.ts';
import { TRACKED_STATES, type TrackedJob, type TrackedState } from './jobStore.ts';

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
export function trackingView(job: TrackedJob): Tracking {
  return {
    id: job.id,
    state: job.state,
    status: job.status,
    attempts: job.attempts,
    firstSeenAt: new Date(job.firstSeenAt).toISOString(),
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
