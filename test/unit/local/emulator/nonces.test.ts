import { describe, expect, it } from 'vitest';
import { NonceWindow } from '#local/emulator/nonces.ts';

const minute = 60_000;

describe('NonceWindow', () => {
  it('refuses a nonce seen within the retention, and accepts it again after', () => {
    const window = new NonceWindow(30 * minute);
    expect(window.use('n', 0)).toBe(true);
    expect(window.use('n', 1)).toBe(false);
    expect(window.use('n', 30 * minute)).toBe(false);
    expect(window.use('n', 33 * minute)).toBe(true);
  });

  it('keeps memory bounded: old buckets go as time moves on', () => {
    const window = new NonceWindow(30 * minute);
    for (let i = 0; i < 10_000; i++) window.use(`n${i}`, i * 1000);
    // 10,000 nonces, one a second: only about the last 30 minutes (plus one bucket) are held.
    expect(window.size).toBeLessThanOrEqual(30 * 60 + 2 * 60);
    expect(window.size).toBeGreaterThanOrEqual(30 * 60);
  });
});
