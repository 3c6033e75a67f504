import { describe, expect, it } from 'vitest';
import { backoffDelay } from '#shared/backoff.ts';

const policy = { baseMs: 100, capMs: 1000, factor: 2 };

describe('backoffDelay', () => {
  it('grows the ceiling by the factor and caps it', () => {
    const ceiling = (attempt: number) => backoffDelay(attempt, policy, () => 0.999999);
    expect([1, 2, 3, 4, 5, 10].map(ceiling)).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('is uniformly random below the ceiling (full jitter)', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  });

  it('never waits less than the server asked, even above the cap', () => {
    expect(backoffDelay(1, policy, () => 0.5, 5000)).toBe(5000);
    expect(backoffDelay(5, policy, () => 0.9, 10)).toBe(900);
  });
});
