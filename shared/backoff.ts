/** Exponential backoff with "full jitter" (a uniformly random wait up to the capped exponential). */
export interface BackoffPolicy {
  /** The ceiling of the first wait. */
  baseMs: number;
  /** No wait is ever longer than this, a server's `Retry-After` included. */
  capMs: number;
  /** Growth per attempt (2 doubles the ceiling each time). */
  factor: number;
}

/**
 * The wait before the next try, after `attempt` tries (1-based) have failed: never less than what the
 * server asked for (`retryAfterMs`), and never more than the cap, whatever the server asked for (a
 * server's value is not trusted to schedule a job, or a retry, arbitrarily far away). A caller that must
 * not try again sooner than the server asked checks `retryAfterMs > capMs` itself (`exceedsCap`).
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number,
  retryAfterMs = 0,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * policy.factor ** Math.max(0, attempt - 1));
  const drawn = Math.floor(random() * ceiling);
  return Math.min(policy.capMs, Number.isNaN(retryAfterMs) ? drawn : Math.max(drawn, retryAfterMs));
}

/**
 * Whether the server asked for a longer wait than the policy ever waits: a retry within the same call
 * would come too early, so the caller gives up now and leaves it to a later call (the next sweep, the
 * caller of the query function with its `Retry-After`).
 */
export function exceedsCap(policy: BackoffPolicy, retryAfterMs: number | undefined): boolean {
  return retryAfterMs !== undefined && retryAfterMs > policy.capMs;
}
