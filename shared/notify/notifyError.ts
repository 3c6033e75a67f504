/**
 * `NotifyError`: a notification that could not be delivered, with what the target said. The sweeper
 * records it on the job and tries again on a later sweep, unless it is `final`. `retryable` tells a
 * passing failure (throttled, unavailable, no response, no connection) from a refusal that another try
 * will meet again until somebody mends the target (a 4xx, a redirect, a bad target).
 *
 * Two texts: the message, with every detail, for the log; and the `summary`, a stable code and a
 * message of ours, for the job's `lastError` that `GET /jobs` shows. A failure of a caller's own
 * webhook is summarised as one code whatever happened (`conceal`): refused, reset, not HTTP, 404,
 * unknown host and timeout must look alike, or the webhook would scan the deployment's network.
 */
import { AppError, UNEXPOSED } from '#shared/errors.ts';
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';
import { retryAfterMs } from '#shared/retryAfter.ts';
import { describeTarget } from './describeTarget.ts';

export interface NotifyFailure {
  target: NotifyTarget;
  /**
   * FC's error code when it sent one (`Code`, or 2.0's `ErrorCode`: `FunctionNotFound`, `AccessDenied`…); else `Http<status>`
   * for any other refusal, or one of ours: `Timeout`, `NetworkError`, `Aborted`, `DeadlineExceeded`,
   * `InvalidNotifyTarget`, `WebhookSecretMissing`, `AddressNotAllowed`, or the code of a failing dependency (`ConfigError`).
   */
  code: string;
  /** What went wrong, in words. */
  detail: string;
  retryable: boolean;
  httpStatus?: number | undefined;
  requestId?: string | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
  /** What `lastError` may say of it, when `detail` is all ours; else a message by kind (`summaryOf`). */
  summary?: string | undefined;
}

/** How the failure of a caller's own webhook is recorded, whatever it was. */
export const WEBHOOK_FAILED = 'WebhookFailed: the webhook did not take the notification';

/** A message of ours for a failure, by what kind of failure it is: never text from the target. */
function summaryOf(failure: NotifyFailure): string {
  if (failure.summary !== undefined) return failure.summary;
  const messages: Record<string, string> = {
    Timeout: 'the target did not answer in time',
    NetworkError: 'the target could not be reached',
    Aborted: 'the sweep ended before the target answered',
    DeadlineExceeded: 'no time was left in the sweep',
    AddressNotAllowed: 'the webhook host is not at a public address',
  };
  const message =
    messages[failure.code] ??
    (failure.httpStatus === undefined ? UNEXPOSED : `the target refused it (HTTP ${failure.httpStatus})`);
  return `${failure.code}: ${message}`;
}

/**
 * Failures no later try can mend, by code: the target is one the notifier will not send to (not valid, or
 * no longer allowed by NOTIFY_TARGETS_ALLOWED), a webhook has no secret to be signed with, or its host
 * is not a public address (trying again would only probe the network behind it). The sweeper
 * ends such a notification `failed` at once, for an operator to mend and send again.
 */
const FINAL_CODES: ReadonlySet<string> = new Set([
  'InvalidNotifyTarget',
  'WebhookSecretMissing',
  'AddressNotAllowed',
]);

export class NotifyError extends AppError {
  override name = 'NotifyError';
  /** Which target failed, as `describeTarget` puts it (no URL query: it may hold a token). */
  readonly target: string;
  /** The target's HTTP status, when it responded. */
  readonly httpStatus: number | undefined;
  /** FC's request id (`x-fc-request-id`), for a support ticket. */
  readonly requestId: string | undefined;
  /** Whether an immediate retry may succeed: timeouts, dropped connections, 429 and 5xx. */
  readonly retryable: boolean;
  readonly #failure: NotifyFailure;

  constructor(failure: NotifyFailure) {
    const target = describeTarget(failure.target);
    const context = [
      failure.httpStatus === undefined ? '' : `HTTP ${failure.httpStatus}`,
      failure.code,
      failure.requestId === undefined ? '' : `request ${failure.requestId}`,
    ].filter(Boolean);
    // 502: a target we depend on failed, not the caller of our function.
    super(failure.code, `could not notify ${target}: ${failure.detail} (${context.join(', ')})`, {
      statusCode: 502,
      retryAfterMs: failure.retryAfterMs,
      cause: failure.cause,
    });
    this.target = target;
    this.httpStatus = failure.httpStatus;
    this.requestId = failure.requestId;
    this.retryable = failure.retryable;
    this.#failure = failure;
  }

  override get summary(): string {
    return summaryOf(this.#failure);
  }

  /** The same failure, summarised as `WebhookFailed` whatever it was (see the top of this file). */
  conceal(): NotifyError {
    return new NotifyError({ ...this.#failure, summary: WEBHOOK_FAILED });
  }

  /** Whether no later try can succeed either (see FINAL_CODES). */
  get final(): boolean {
    return FINAL_CODES.has(this.code);
  }
}

/**
 * The longest `Retry-After` taken from a notify target: the sweeper's own backoff waits at most an hour
 * between tries of a notification (NOTIFY_RETRY_SECONDS doubling), and so may a target's request.
 */
const MAX_NOTIFY_RETRY_AFTER_MS = 3_600_000;

/** A target that responded with a status we do not count as delivered, and its `Retry-After` header. */
export function httpFailure(
  target: NotifyTarget,
  httpStatus: number,
  said: { code?: string | undefined; message?: string | undefined; requestId?: string | undefined } = {},
  retryAfter?: string | null,
): NotifyError {
  return new NotifyError({
    target,
    httpStatus,
    code: said.code ?? `Http${httpStatus}`,
    detail: said.message ?? 'the target refused the notification',
    requestId: said.requestId,
    retryable: httpStatus === 429 || httpStatus >= 500,
    retryAfterMs: retryAfterMs(retryAfter, { unit: 'seconds', maxMs: MAX_NOTIFY_RETRY_AFTER_MS }),
  });
}

export type TransportFailure = 'timeout' | 'aborted' | 'network';

/** fetch's `fetch failed` says little: the socket error it wraps (`ECONNRESET`…) says more. */
function reasonOf(cause: unknown): string {
  if (!(cause instanceof Error)) return '';
  return cause.cause instanceof Error ? cause.cause.message : cause.message;
}

/** No response at all: the attempt timed out, the caller gave up, or the connection failed. */
export function transportFailure(target: NotifyTarget, kind: TransportFailure, cause: unknown): NotifyError {
  const reason = reasonOf(cause);
  const failures = {
    timeout: { code: 'Timeout', detail: 'no answer in time' },
    aborted: { code: 'Aborted', detail: 'the caller gave up' },
    network: { code: 'NetworkError', detail: `the request failed${reason ? `: ${reason}` : ''}` },
  };
  // Aborted is not retried now (the caller is gone) but a later sweep may well succeed.
  return new NotifyError({ target, ...failures[kind], retryable: kind !== 'aborted', cause });
}

/** A target the notifier will not send to; see `targetProblem` (whose words are all ours). */
export function invalidTarget(target: NotifyTarget, problem: string): NotifyError {
  return new NotifyError({
    target,
    code: 'InvalidNotifyTarget',
    detail: problem,
    retryable: false,
    summary: `InvalidNotifyTarget: ${problem}`,
  });
}
