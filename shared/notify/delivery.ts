/**
 * Delivery: one notification, tried until it lands, a try fails for good, the tries run out, or the
 * caller's deadline comes. Shared by every kind of target: each sends one attempt, and this loop
 * bounds it in time, classifies what went wrong and decides whether to try again, after a full-jitter
 * backoff that honours a `Retry-After` (one longer than the backoff's cap ends the tries: a later sweep
 * tries again).
 */
import type { RetryPolicy } from '#shared/aicontent/client.ts';
import { backoffDelay, exceedsCap } from '#shared/backoff.ts';
import { AppError } from '#shared/errors.ts';
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';
import { NotifyError, transportFailure } from './notifyError.ts';

/** One try: it must be over when `signal` aborts. */
export interface Attempt {
  signal: AbortSignal;
  /** The time this try has (ms): the per-attempt timeout, or what is left before the deadline. */
  timeoutMs: number;
}

export interface DeliveryOptions {
  retry: RetryPolicy;
  attemptTimeoutMs: number;
  /** Absolute time (epoch ms) after which no attempt runs and no wait ends. */
  deadline?: number | undefined;
  /** Abort the delivery, retries included. */
  signal?: AbortSignal | undefined;
  now: () => number;
  random: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * What a failed try means. Our own errors (a credentials provider's `ConfigError`, say) are not the
 * network's fault: they fail at once. Anything else thrown is a transport failure.
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

export async function deliver(
  target: NotifyTarget,
  send: (attempt: Attempt) => Promise<void>,
  options: DeliveryOptions,
): Promise<void> {
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  for (let tries = 1; ; tries++) {
    const timeoutMs = Math.min(options.attemptTimeoutMs, deadline - options.now());
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
      return;
    } catch (error) {
      const failure = failureOf(target, error, timeout, options.signal);
      if (
        !failure.retryable ||
        options.signal?.aborted ||
        tries >= options.retry.maxAttempts ||
        exceedsCap(options.retry, failure.retryAfterMs)
      ) {
        throw failure;
      }
      const delay = backoffDelay(tries, options.retry, options.random, failure.retryAfterMs);
      if (options.now() + delay >= deadline) throw failure;
      await options.sleep(delay, options.signal);
      if (options.signal?.aborted) throw failure;
    }
  }
}
