/**
 * The replies of the operator API over tracked jobs: register a job (`POST /jobs`), list them by state
 * (`GET /jobs?state=gave_up`), untrack one (`DELETE /jobs/{id}`), send its news again
 * (`POST /jobs/{id}/notify`), and the numbers (`GET /stats`). The views they carry are shared/jobs'.
 */
import { AppError } from '#shared/errors.ts';
import type { FunctionReply } from '#shared/fc/reply.ts';
import type { JobStore, TrackedState, TrackInput } from '#shared/jobs/jobStore.ts';
import { statsView } from '#shared/jobs/stats.ts';
import { trackingView } from '#shared/jobs/tracking.ts';

/** The job is not tracked (never was, or was untracked): 404. */
export class NotTrackedError extends AppError {
  override name = 'NotTrackedError';
  constructor(id: string) {
    super('NotTracked', `job ${JSON.stringify(id)} is not tracked`, { statusCode: 404 });
  }
}

/** `DELETE /jobs/{id}`: 204, no body over HTTP (`{"untracked": true}` by direct invocation). */
export async function untrackReply(store: JobStore, id: string): Promise<FunctionReply> {
  if (!(await store.untrack(id))) throw new NotTrackedError(id);
  return { statusCode: 204, body: { untracked: true }, headers: { 'cache-control': 'no-store' } };
}

/**
 * `POST /jobs/{id}/notify`: the news of an ended job goes out (again) on the next sweep, its tries counted
 * afresh: 202 with the job. 409 `JobNotEnded` while it is pending (there is no news yet).
 */
export async function resendReply(store: JobStore, id: string, now: number): Promise<FunctionReply> {
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
const TRACKING_FULL_RETRY_AFTER_MS = 60_000;

/**
 * 202 whether the job was new or already tracked: registering twice is harmless, and a job tracked
 * without a target (by a query, say) takes the one its owner brings. 409 `TargetConflict` when it is
 * tracked with another target already (which stays); 503 `TooManyTrackedJobs` past MAX_TRACKED_JOBS.
 */
export async function trackReply(store: JobStore, input: TrackInput): Promise<FunctionReply> {
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

/** `GET /jobs?state=`: a page of the tracked jobs of one state, as `trackingView`s. */
export async function listReply(
  store: JobStore,
  input: { state: TrackedState; limit: number; cursor?: string },
): Promise<FunctionReply> {
  const page = await store.list(input);
  return {
    statusCode: 200,
    body: { jobs: page.jobs.map(trackingView), cursor: page.cursor },
    headers: { 'cache-control': 'no-store' },
  };
}

/** `GET /stats`: the store's numbers as of `now` (`statsView`). */
export async function statsReply(store: JobStore, now: number): Promise<FunctionReply> {
  return {
    statusCode: 200,
    body: statsView(await store.stats(now), now),
    headers: { 'cache-control': 'no-store' },
  };
}
