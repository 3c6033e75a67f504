/**
 * The query function's logic: "what is the state of job X?", asked over HTTP
 * (`GET /jobs/{inferenceJobId}`) or by direct invocation (`{"inferenceJobId": "…"}`, for chaining).
 * Both get the same body: `{job, terminal, retryAfterSeconds}`.
 */
import type { AicontentClient } from '#shared/aicontent/client.ts';
import { type Job, validateJobId } from '#shared/aicontent/job.ts';
import { AppError, InvalidInputError } from '#shared/errors.ts';
import type { FcEvent, HttpRequest } from '#shared/fc/event.ts';
import type { Reply } from '#shared/fc/reply.ts';

export interface JobAnswer {
  job: Job;
  terminal: boolean;
  /** When asking again makes sense; 0 once the job is terminal. */
  retryAfterSeconds: number;
}

export interface QueryRequest {
  client: AicontentClient;
  /** The `retryAfterSeconds` hint for a pending job. */
  pollHintSeconds: number;
  deadline: number;
  signal: AbortSignal;
}

const JOBS_PREFIX = '/jobs/';

export class RouteNotFoundError extends AppError {
  override name = 'RouteNotFoundError';
  constructor(path: string) {
    super('NotFound', `no route for ${path}; try GET /jobs/{inferenceJobId}`, { statusCode: 404 });
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

/** The answer for a job: terminal answers never change, so they may be cached; pending ones not. */
export function jobReply(job: Job, pollHintSeconds: number): Reply {
  const retryAfterSeconds = job.terminal ? 0 : pollHintSeconds;
  const body: JobAnswer = { job, terminal: job.terminal, retryAfterSeconds };
  const headers: Record<string, string> = job.terminal
    ? { 'cache-control': 'private, max-age=31536000, immutable' }
    : { 'cache-control': 'no-store', 'retry-after': String(retryAfterSeconds) };
  return { statusCode: 200, body, headers };
}

/** The job id of `GET /jobs/{id}`: everything after the prefix, so ids holding `/` work too. */
function jobIdFromHttp(request: HttpRequest): string {
  if (!request.path.startsWith(JOBS_PREFIX)) throw new RouteNotFoundError(request.path);
  if (request.method !== 'GET' && request.method !== 'HEAD')
    throw new MethodNotAllowedError(request.method, 'GET');
  return request.path.slice(JOBS_PREFIX.length);
}

function jobIdFromPayload(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || !('inferenceJobId' in payload)) {
    throw new InvalidInputError('expected a JSON payload like {"inferenceJobId": "…"}', 'InvalidPayload');
  }
  return payload.inferenceJobId;
}

export async function answerQuery(event: FcEvent, request: QueryRequest): Promise<Reply> {
  if (event.kind === 'timer')
    throw new InvalidInputError('the query function has no timer trigger', 'InvalidEvent');
  const jobId = validateJobId(
    event.kind === 'http' ? jobIdFromHttp(event.request) : jobIdFromPayload(event.payload),
  );
  const { job } = await request.client.queryJob(jobId, {
    deadline: request.deadline,
    signal: request.signal,
  });
  return jobReply(job, request.pollHintSeconds);
}
