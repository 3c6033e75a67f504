/**
 * `NotifyError`: a notification that could not be delivered, with what the target said. The sweeper
 * records it on the job and tries again on a later sweep, unless it is `final`; `retryable` only says
 * whether trying again *within* this call may help (the notifier's own retries use it).
 */
import { AppError } from '#shared/errors.ts';
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';
import { describeTarget } from './notifyTarget.ts';

export interface NotifyFailure {
  target: NotifyTarget;
  /**
   * FC's error code when it sent one (`Code`, or 2.0's `ErrorCode`: `FunctionNotFound`, `AccessDenied`…); else `Http<status>`
   * for any other refusal, or one of ours: `Timeout`, `NetworkError`, `Aborted`, `DeadlineExceeded`,
   * `InvalidNotifyTarget`, `WebhookSecretMissing`, or the code of a failing dependency (`ConfigError`).
   */
  code: string;
  /** What went wrong, in words. */
  detail: string;
  retryable: boolean;
  httpStatus?: number | undefined;
  requestId?: string | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/**
 * Failures no later try can mend, by code: the target is one the notifier will not send to (not valid, or
 * no longer allowed by NOTIFY_TARGETS_ALLOWED), or a webhook has no secret to be signed with. The sweeper
 * ends such a notification `failed` at once, for an operator to mend and send again.
 */
const FINAL_CODES: ReadonlySet<string> = new Set(['InvalidNotifyTarget', 'WebhookSecretMissing']);

export class NotifyError extends AppError {
  override name = 'NotifyError';
  /** Which target failed, as `describeTarget` puts it (no URL query: it may hold a token). */
  readonly target: string;
  /** The target's HTTP status, when it answered. */
  readonly httpStatus: number | undefined;
  /** FC's request id (`x-fc-request-id`), for a support ticket. */
  readonly requestId: string | undefined;
  /** Whether an immediate retry may succeed: timeouts, dropped connections, 429 and 5xx. */
  readonly retryable: boolean;

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
  }

  /** Whether no later try can succeed either (see FINAL_CODES). */
  get final(): boolean {
    return FINAL_CODES.has(this.code);
  }
}

/** A target that answered with a status we do not count as delivered. */
export function httpFailure(
  target: NotifyTarget,
  httpStatus: number,
  said: { code?: string | undefined; message?: string | undefined; requestId?: string | undefined } = {},
  retryAfterMs?: number,
): NotifyError {
  return new NotifyError({
    target,
    httpStatus,
    code: said.code ?? `Http${httpStatus}`,
    detail: said.message ?? 'the target refused the notification',
    requestId: said.requestId,
    retryable: httpStatus === 429 || httpStatus >= 500,
    retryAfterMs,
  });
}

export type TransportFailure = 'timeout' | 'aborted' | 'network';

/** fetch's `fetch failed` says little: the socket error it wraps (`ECONNRESET`…) says more. */
function reasonOf(cause: unknown): string {
  if (!(cause instanceof Error)) return '';
  return cause.cause instanceof Error ? cause.cause.message : cause.message;
}

/** No answer at all: the attempt timed out, the caller gave up, or the connection failed. */
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

/** A target the notifier will not send to; see `targetProblem`. */
export function invalidTarget(target: NotifyTarget, problem: string): NotifyError {
  return new NotifyError({ target, code: 'InvalidNotifyTarget', detail: problem, retryable: false });
}
