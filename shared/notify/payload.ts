/**
 * The notification: one JSON object saying how a tracked job ended, the same for every kind of target
 * (the FC event, the webhook body).
 *
 * ```json
 * {
 *   "jobId": "2024…", "state": "succeeded", "status": "FINISHED",
 *   "images": ["0000.png"], "imagesTruncated": false, "imageCount": 1,
 *   "attempts": 7, "firstSeenAt": "2026-11-25T08:00:00.000Z", "finishedAt": "2026-11-25T08:03:10.000Z",
 *   "reason": null, "idempotencyKey": "2024…:succeeded"
 * }
 * ```
 *
 * Delivery is at least once (a retry after a lost response sends it again), so receivers should drop a
 * notification whose `idempotencyKey` they have already handled; it is also sent as the
 * `x-aicontent-jobs-idempotency-key` header, percent-encoded where it is not printable ASCII (see
 * `headerValue`). Job ids travel in the body, as they are; headers carry only ASCII.
 */
import type { TrackedJob, TrackedState } from '#shared/jobs/jobStore.ts';

/** FC refuses larger asynchronous invocation payloads (`EntityTooLarge`, docs/fc-runtime.md §6). */
export const MAX_PAYLOAD_BYTES = 128 * 1024;

export const IDEMPOTENCY_HEADER = 'x-aicontent-jobs-idempotency-key';

export type EndedState = Exclude<TrackedState, 'pending'>;

export interface NotificationPayload {
  jobId: string;
  state: EndedState;
  /** The upstream `jobStatus` last seen ('' when the job was given up before aicontent said anything of it). */
  status: string;
  /** Resource ids of the generated images; cut short when they would not fit, see `imagesTruncated`. */
  images: string[];
  /** True when `images` holds only the first ones, to keep the payload under `MAX_PAYLOAD_BYTES`. */
  imagesTruncated: boolean;
  /** How many images the job has, all of them. */
  imageCount: number;
  /** Polls made, failed ones included. */
  attempts: number;
  /** When tracking started: ISO 8601 in UTC with milliseconds (`Date.prototype.toISOString`). */
  firstSeenAt: string;
  /** When the job was seen to end, in the same format; null if the sweeper did not record it. */
  finishedAt: string | null;
  /** Why the sweeper gave up (`gave_up` only), else null. */
  reason: string | null;
  /** `<jobId>:<state>`: the same for every delivery of this news, so a repeat can be recognised. */
  idempotencyKey: string;
}

export interface Notification {
  payload: NotificationPayload;
  /** `payload` as JSON: the exact bytes sent (and signed). */
  body: string;
  /** The `x-aicontent-jobs-idempotency-key` header: `idempotencyKey` as `headerValue` writes it. */
  idempotencyHeader: string;
}

/** Runs of characters a header value must not carry as they are: all but printable ASCII, and `%`. */
const NOT_HEADER_SAFE = /[^\x21-\x24\x26-\x7e]+/g;

/**
 * `text` fit for an HTTP header value, which must be bytes (fetch refuses any character above U+00FF;
 * anything outside printable ASCII is unsafe in transit), while a job id may be any text aicontent
 * accepts. Every character but printable ASCII, and `%` itself, is percent-encoded as UTF-8, so
 * `decodeURIComponent(value)` gives `text` back, and printable ASCII text without `%` (every real job id)
 * is left as it is.
 */
export function headerValue(text: string): string {
  return text.replace(NOT_HEADER_SAFE, (run) =>
    [...Buffer.from(run, 'utf8')]
      .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  );
}

function payloadOf(job: TrackedJob, state: EndedState, imageCount: number): NotificationPayload {
  return {
    jobId: job.id,
    state,
    status: job.status,
    images: job.images.slice(0, imageCount),
    imagesTruncated: imageCount < job.images.length,
    imageCount: job.images.length,
    attempts: job.attempts,
    firstSeenAt: new Date(job.firstSeenAt).toISOString(),
    finishedAt: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString(),
    reason: job.reason,
    idempotencyKey: `${job.id}:${state}`,
  };
}

const fits = (body: string) => Buffer.byteLength(body, 'utf8') <= MAX_PAYLOAD_BYTES;

/**
 * The notification for an ended job. Only the image list can grow large (the job id is at most 256
 * characters, the rest is ours), so when the whole does not fit, as many images as fit are kept.
 */
export function buildNotification(job: TrackedJob): Notification {
  const state = job.state;
  if (state === 'pending') throw new Error(`job ${job.id} has not ended: there is nothing to notify`);
  const idempotencyHeader = headerValue(`${job.id}:${state}`);
  const full = payloadOf(job, state, job.images.length);
  const body = JSON.stringify(full);
  if (fits(body)) return { payload: full, body, idempotencyHeader };
  // Binary search for the most images that fit: `fitting` fits (none, at first), `tooMany` does not.
  let fitting = 0;
  let tooMany = job.images.length;
  while (tooMany - fitting > 1) {
    const middle = Math.floor((fitting + tooMany) / 2);
    if (fits(JSON.stringify(payloadOf(job, state, middle)))) fitting = middle;
    else tooMany = middle;
  }
  const payload = payloadOf(job, state, fitting);
  return { payload, body: JSON.stringify(payload), idempotencyHeader };
}
