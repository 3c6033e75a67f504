/**
 * The query function's logic, for HTTP and for direct invocation (chaining):
 *
 * | HTTP                        | direct invocation payload                          | reply  |
 * |-----------------------------|----------------------------------------------------|--------|
 * | `GET /jobs/{id}`            | `{"inferenceJobId"}`                               | `{job, terminal, retryAfterSeconds, tracking?}` |
 * | `POST /jobs` `{inferenceJobId, notify?}` | `{"action":"track", "inferenceJobId", "notify"?}` | 202 `{tracking, created}` |
 * | `GET /jobs?state=&limit=&cursor=` | `{"action":"list", "state", "limit"?, "cursor"?}` | `{jobs, cursor}` |
 * | `DELETE /jobs/{id}`         | `{"action":"untrack", "inferenceJobId"}`           | 204 (`{untracked: true}`) |
 * | `POST /jobs/{id}/notify`    | `{"action":"notify", "inferenceJobId"}`            | 202 `{tracking}` |
 * | `GET /stats`                | `{"action":"stats"}`                               | the stats (`statsView`, shared/jobs/stats.ts) |
 *
 * `/jobs/` is `/jobs`. A list is of one state: without `state` it is a 400 `InvalidState` saying so.
 * Every method the function does not serve on a path is a 405 `MethodNotAllowed` in our envelope (s.yaml
 * lets every method FC's triggers know through to the function).
 *
 * A query of a pending job that is not tracked yet starts tracking it when `trackOnQuery` is on; the
 * reply carries the job's `tracking` when it is tracked.
 * `POST /jobs` of a job not tracked yet asks aicontent about it once first: an id aicontent does not
 * know gets 404 `JobNotFound` and is not tracked (it would cost a signed poll every sweep).
 */
import type { AicontentClient } from '#shared/aicontent/client.ts';
import { type Job, validateJobId } from '#shared/aicontent/job.ts';
import { AppError, InvalidInputError } from '#shared/errors.ts';
import type { FcEvent, HttpRequest } from '#shared/fc/event.ts';
import type { FunctionReply } from '#shared/fc/reply.ts';
import { type JobStore, type NotifyTarget, TRACKED_STATES, type TrackedJob } from '#shared/jobs/jobStore.ts';
import { parseListInput, trackingView } from '#shared/jobs/tracking.ts';
import { isRecord } from '#shared/json.ts';
import type { Logger } from '#shared/log.ts';
import type { JobReplyBody } from './operatorApi.ts';
import { listReply, resendReply, statsReply, trackReply, untrackReply } from './trackingReplies.ts';

export interface QueryRequest {
  client: AicontentClient;
  /** The job store, opened on first use. */
  store: () => Promise<JobStore>;
  /** Validates a user-supplied notify target (`POST /jobs`). */
  parseNotify: (input: unknown) => Promise<NotifyTarget | null>;
  trackOnQuery: boolean;
  /** Most jobs tracked while pending (MAX_TRACKED_JOBS). */
  maxTrackedJobs: number;
  /** The `retryAfterSeconds` hint for a pending job. */
  pollHintSeconds: number;
  deadline: number;
  signal: AbortSignal;
  now: () => number;
  log: Logger;
}

/** Bodies larger than this are refused: a track request is a few hundred bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

export class RouteNotFoundError extends AppError {
  override name = 'RouteNotFoundError';
  constructor(path: string) {
    super('NotFound', `no route for ${path}; try GET /jobs/{inferenceJobId}, POST /jobs or GET /stats`, {
      statusCode: 404,
    });
  }
}

export class MethodNotAllowedError extends AppError {
  override name = 'MethodNotAllowedError';
  constructor(method: string, allow: string) {
    super('MethodNotAllowed', `${method} is not allowed here; use ${allow}`, {
      statusCode: 405,
      headers: { allow },
    });
  }
}

/**
 * The reply for a job. A terminal job never changes, so its reply may be cached, unless it carries the
 * job's tracking, which does (its notification goes out, an operator re-sends it); pending ones not.
 */
export function jobReply(job: Job, pollHintSeconds: number, tracked?: TrackedJob | null): FunctionReply {
  const retryAfterSeconds = job.terminal ? 0 : pollHintSeconds;
  const body: JobReplyBody = {
    job,
    terminal: job.terminal,
    retryAfterSeconds,
    ...(tracked ? { tracking: trackingView(tracked) } : {}),
  };
  const headers: Record<string, string> = job.terminal
    ? { 'cache-control': tracked ? 'no-store' : 'private, max-age=31536000, immutable' }
    : { 'cache-control': 'no-store', 'retry-after': String(retryAfterSeconds) };
  return { statusCode: 200, body, headers };
}

async function replyWithJob(id: unknown, request: QueryRequest): Promise<FunctionReply> {
  const jobId = validateJobId(id);
  const { job } = await request.client.queryJob(jobId, {
    deadline: request.deadline,
    signal: request.signal,
  });
  const tracked =
    request.trackOnQuery && !job.terminal
      ? await trackQueried(jobId, request)
      : await trackingOf(jobId, request);
  return jobReply(job, request.pollHintSeconds, tracked);
}

/** The job's tracking, if it is tracked. A convenience here: a store problem costs the caller only that. */
async function trackingOf(jobId: string, request: QueryRequest): Promise<TrackedJob | null> {
  try {
    return await (await request.store()).get(jobId);
  } catch (error) {
    request.log.error('could not read the tracking of a queried job', { jobId, error });
    return null;
  }
}

/**
 * Starts tracking a queried job, without a target: its owner's `POST /jobs` may still bring one; the job
 * as tracked, or null. A convenience here: neither a store problem nor a full store costs the caller the
 * reply.
 */
async function trackQueried(jobId: string, request: QueryRequest): Promise<TrackedJob | null> {
  try {
    const store = await request.store();
    const result = await store.track({
      id: jobId,
      now: request.now(),
      maxPending: request.maxTrackedJobs,
    });
    if (result.outcome === 'full') {
      request.log.warn('not tracking a queried job: MAX_TRACKED_JOBS are pending', { jobId });
    }
    return result.job;
  } catch (error) {
    request.log.error('could not start tracking a queried job', { jobId, error });
    return null;
  }
}

/**
 * Asks aicontent once about a job before it is tracked: its word that the id is wrong (404 JobNotFound,
 * 400 InvalidJobId) is the caller's. Any other failure (throttled, unavailable, slow) does not stop the
 * tracking: the sweeper gives up a job aicontent keeps not knowing, after confirming it.
 */
async function askBeforeTracking(id: string, request: QueryRequest): Promise<void> {
  try {
    await request.client.queryJob(id, { deadline: request.deadline, signal: request.signal });
  } catch (error) {
    if (error instanceof AppError && (error.statusCode === 404 || error.statusCode === 400)) throw error;
    request.log.warn('could not ask aicontent about a job before tracking it: tracking it all the same', {
      jobId: id,
      error,
    });
  }
}

async function track(input: Record<string, unknown>, request: QueryRequest): Promise<FunctionReply> {
  const id = validateJobId(input.inferenceJobId);
  const notify = await request.parseNotify(input.notify);
  const store = await request.store();
  if (!(await store.get(id))) await askBeforeTracking(id, request);
  return trackReply(store, { id, notify, now: request.now(), maxPending: request.maxTrackedJobs });
}

/**
 * What to list: the jobs of one state. Without a state the reply is an error that names `state`, not
 * every state at once: a page mixing states would have no order an operator could page through.
 */
function listInput(input: Record<string, unknown>) {
  if (input.state === undefined || input.state === '') {
    throw new InvalidInputError(
      `state is required: the tracked jobs of one state are listed, one of ${TRACKED_STATES.join(', ')} ` +
        '(GET /jobs?state=pending)',
      'InvalidState',
    );
  }
  return parseListInput(input);
}

function jsonBody(request: HttpRequest): Record<string, unknown> {
  if (request.body.length > MAX_BODY_BYTES) {
    throw new AppError('PayloadTooLarge', `the body is over ${MAX_BODY_BYTES} bytes`, { statusCode: 413 });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body.toString('utf8'));
  } catch {
    throw new InvalidInputError('the body must be JSON like {"inferenceJobId": "…"}', 'InvalidBody');
  }
  if (!isRecord(parsed)) {
    throw new InvalidInputError('the body must be a JSON object like {"inferenceJobId": "…"}', 'InvalidBody');
  }
  return parsed;
}

async function untrack(id: unknown, request: QueryRequest): Promise<FunctionReply> {
  return untrackReply(await request.store(), validateJobId(id));
}

async function resend(id: unknown, request: QueryRequest): Promise<FunctionReply> {
  return resendReply(await request.store(), validateJobId(id), request.now());
}

const NOTIFY_SUFFIX = '/notify';

async function replyToHttp(http: HttpRequest, request: QueryRequest): Promise<FunctionReply> {
  const method = http.method === 'HEAD' ? 'GET' : http.method;
  if (http.path === '/jobs' || http.path === '/jobs/') {
    if (method === 'POST') return track(jsonBody(http), request);
    if (method === 'GET') return listReply(await request.store(), listInput(http.query));
    throw new MethodNotAllowedError(http.method, 'GET, POST');
  }
  if (http.path === '/stats') {
    if (method === 'GET') return statsReply(await request.store(), request.now());
    throw new MethodNotAllowedError(http.method, 'GET');
  }
  if (!http.path.startsWith('/jobs/')) throw new RouteNotFoundError(http.path);
  // Everything after the prefix, so ids holding `/` work too: `POST …/notify` is the only route below
  // a job, and a POST to the job itself is none, so the method tells the two apart.
  const rest = http.path.slice('/jobs/'.length);
  if (method === 'GET') return replyWithJob(rest, request);
  if (method === 'DELETE') return untrack(rest, request);
  const toNotify = rest.endsWith(NOTIFY_SUFFIX);
  if (method === 'POST' && toNotify) return resend(rest.slice(0, -NOTIFY_SUFFIX.length), request);
  throw new MethodNotAllowedError(http.method, toNotify ? 'GET, DELETE, POST' : 'GET, DELETE');
}

async function replyToInvocation(payload: unknown, request: QueryRequest): Promise<FunctionReply> {
  if (!isRecord(payload)) {
    throw new InvalidInputError('expected a JSON payload like {"inferenceJobId": "…"}', 'InvalidPayload');
  }
  const input = payload;
  switch (input.action ?? 'query') {
    case 'query':
      if (!('inferenceJobId' in input)) {
        throw new InvalidInputError('expected a JSON payload like {"inferenceJobId": "…"}', 'InvalidPayload');
      }
      return replyWithJob(input.inferenceJobId, request);
    case 'track':
      return track(input, request);
    case 'list':
      return listReply(await request.store(), listInput(input));
    case 'untrack':
      return untrack(input.inferenceJobId, request);
    case 'notify':
      return resend(input.inferenceJobId, request);
    case 'stats':
      return statsReply(await request.store(), request.now());
    default:
      throw new InvalidInputError(
        'action must be "query", "track", "list", "untrack", "notify" or "stats"',
        'InvalidPayload',
      );
  }
}

export async function replyToQuery(event: FcEvent, request: QueryRequest): Promise<FunctionReply> {
  if (event.kind === 'timer')
    throw new InvalidInputError('the query function has no timer trigger', 'InvalidEvent');
  return event.kind === 'http'
    ? replyToHttp(event.request, request)
    : replyToInvocation(event.payload, request);
}
