import { describe, expect, it } from 'vitest';
import { backoffDelay, exceedsCap } from '#shared/backoff.ts';

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

  it('never waits less than the server asked, up to the cap', () => {
    expect(backoffDelay(1, policy, () => 0.5, 700)).toBe(700);
    expect(backoffDelay(5, policy, () => 0.9, 10)).toBe(900);
  });

  it('never waits longer than the cap, whatever the server asked', () => {
    for (const asked of [5000, 1e15, Number.POSITIVE_INFINITY]) {
      expect(backoffDelay(1, policy, () => 0.5, asked)).toBe(1000);
    }
    expect(backoffDelay(1, policy, () => 0.5, Number.NaN)).toBe(50);
    expect(backoffDelay(1, policy, () => 0.5, -5)).toBe(50);
  });
});

describe('exceedsCap', () => {
  it('says when the server asked for longer than the policy ever waits', () => {
    expect(exceedsCap(policy, undefined)).toBe(false);
    expect(exceedsCap(policy, 1000)).toBe(false);
    expect(exceedsCap(policy, 1001)).toBe(true);
  });
});
