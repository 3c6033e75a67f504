/** Exponential backoff with "full jitter" (a uniformly random wait up to the capped exponential). */
export interface BackoffPolicy {
  /** The ceiling of the first wait. */
  baseMs: number;
  /** No wait is ever longer than this. */
  capMs: number;
  /** Growth per attempt (2 doubles the ceiling each time). */
  factor: number;
}

/**
 * The wait before the next try, after `attempt` tries (1-based) have failed; never less than what the
 * server asked for (`retryAfterMs`), even above the cap: the server knows its own load.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number,
  retryAfterMs = 0,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * policy.factor ** Math.max(0, attempt - 1));
  return Math.max(Math.floor(random() * ceiling), retryAfterMs);
}
