/**
 * Delivery: one try of one notification, shared by every kind of target. Each kind sends one request;
 * this bounds it in time (the per-try timeout, the caller's deadline, the caller's signal) and says what
 * went wrong as a `NotifyError`. There is no retry here: the sweeper tries a job's notification at most
 * once per sweep and spaces its tries itself (NOTIFY_RETRY_SECONDS, or a target's `Retry-After`, which the
 * error carries as `retryAfterMs`).
 */
import { AppError } from '#shared/errors.ts';
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';
import { NotifyError, transportFailure } from './notifyError.ts';
import type { Notification } from './payload.ts';

/** One try: it must be over when `signal` aborts. */
export interface Attempt {
  signal: AbortSignal;
  /** The time this try has (ms): the per-try timeout, or what is left before the deadline. */
  timeoutMs: number;
}

/**
 * A sender: one request to one kind of target (fcInvoke.ts, fc2Invoke.ts, webhook.ts), over when
 * `attempt.signal` aborts; resolves when the target took the notification, else throws (a `NotifyError`
 * says what went wrong). The notifier picks the sender by the target's `type`.
 */
export type Sender<Kind extends NotifyTarget['type'], Deps> = (
  target: Extract<NotifyTarget, { type: Kind }>,
  notification: Notification,
  attempt: Attempt,
  deps: Deps,
) => Promise<void>;

export interface DeliveryOptions {
  attemptTimeoutMs: number;
  /** Absolute time (epoch ms) after which no try starts or runs. */
  deadline?: number | undefined;
  /** Abort the try. */
  signal?: AbortSignal | undefined;
  now: () => number;
}

/**
 * What a failed try means. Our own errors (a credentials provider's `ConfigError`, say) are not the
 * network's fault: they are not worth another try. Anything else thrown is a transport failure.
 */
function failureOf(target: NotifyTarget, error: unknown, timeout: AbortSignal, caller?: AbortSignal) {
  if (error instanceof NotifyError) return error;
  if (error instanceof AppError) {
    return new NotifyError({
      target,
      code: error.code,
      detail: error.message,
      retryable: false,
      cause: error,
    });
  }
  const kind = caller?.aborted ? 'aborted' : timeout.aborted ? 'timeout' : 'network';
  return transportFailure(target, kind, error);
}

/** Sends once; resolves when the target took the notification, else throws `NotifyError`. */
export async function deliver(
  target: NotifyTarget,
  send: (attempt: Attempt) => Promise<void>,
  options: DeliveryOptions,
): Promise<void> {
  const timeoutMs = Math.min(
    options.attemptTimeoutMs,
    (options.deadline ?? Number.POSITIVE_INFINITY) - options.now(),
  );
  if (timeoutMs <= 0) {
    throw new NotifyError({
      target,
      code: 'DeadlineExceeded',
      detail: 'no time was left before the deadline',
      retryable: true,
    });
  }
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    await send({ signal, timeoutMs });
  } catch (error) {
    throw failureOf(target, error, timeout, options.signal);
  }
}
