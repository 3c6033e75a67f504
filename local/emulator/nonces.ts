/**
 * The nonces seen recently, to reject a replayed request (`SignatureNonceUsed`).
 *
 * Nonces are kept in sets, one per time bucket, and a whole bucket is dropped once it is older than the
 * retention: memory stays bounded by the request rate times the retention, and no request ever scans
 * the nonces (a lookup checks one set per live bucket, 17 at most).
 */
const BUCKETS = 16;

export class NonceWindow {
  readonly #retentionMs: number;
  readonly #bucketMs: number;
  /** Bucket index (time / bucketMs) → the nonces first seen in that bucket. */
  readonly #buckets = new Map<number, Set<string>>();

  constructor(retentionMs: number) {
    this.#retentionMs = retentionMs;
    this.#bucketMs = Math.max(1, Math.ceil(retentionMs / BUCKETS));
  }

  /** Records the nonce; false when it was already seen within the retention (at least, and at most one bucket more). */
  use(nonce: string, now: number): boolean {
    this.#expire(now);
    for (const seen of this.#buckets.values()) {
      if (seen.has(nonce)) return false;
    }
    const index = Math.floor(now / this.#bucketMs);
    const bucket = this.#buckets.get(index);
    if (bucket) bucket.add(nonce);
    else this.#buckets.set(index, new Set([nonce]));
    return true;
  }

  /** How many nonces are held (for tests of the memory bound). */
  get size(): number {
    let total = 0;
    for (const seen of this.#buckets.values()) total += seen.size;
    return total;
  }

  #expire(now: number): void {
    const oldestKept = Math.floor((now - this.#retentionMs) / this.#bucketMs);
    for (const index of this.#buckets.keys()) {
      if (index < oldestKept) this.#buckets.delete(index);
    }
  }
}
