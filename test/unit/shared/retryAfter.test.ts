import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '#shared/retryAfter.ts';

const NOW = Date.UTC(2026, 10, 25, 8, 0, 0);
const seconds = { unit: 'seconds', maxMs: 300_000, now: () => NOW } as const;
const millis = { unit: 'milliseconds', maxMs: 300_000 } as const;

describe('retryAfterMs', () => {
  it('reads whole seconds (Retry-After) and milliseconds (x-acs-retry-after)', () => {
    expect(retryAfterMs('3', seconds)).toBe(3000);
    expect(retryAfterMs(' 0 ', seconds)).toBe(0);
    expect(retryAfterMs('1500', millis)).toBe(1500);
  });

  it('reads an HTTP-date as the time left until then (a past one is now)', () => {
    expect(retryAfterMs(new Date(NOW + 90_000).toUTCString(), seconds)).toBe(90_000);
    expect(retryAfterMs(new Date(NOW - 90_000).toUTCString(), seconds)).toBe(0);
    expect(retryAfterMs(new Date(NOW + 90_000).toUTCString(), millis)).toBeUndefined();
  });

  it('cuts any longer wait to the bound: the value of 1e15 ms that parked a job until the year 33715', () => {
    expect(retryAfterMs('1000000000000000', millis)).toBe(300_000);
    expect(retryAfterMs('9'.repeat(400), millis)).toBe(300_000); // reads as Infinity
    expect(retryAfterMs('86400', seconds)).toBe(300_000);
    expect(retryAfterMs(new Date(NOW + 86_400_000).toUTCString(), seconds)).toBe(300_000);
  });

  it.each([undefined, null, '', '  ', '1e15', '-5', '1.5', '0x10', 'soon', 'Infinity', 'NaN'])(
    'ignores %j (the caller’s own backoff applies)',
    (value) => {
      expect(retryAfterMs(value, seconds)).toBeUndefined();
      expect(retryAfterMs(value, millis)).toBeUndefined();
    },
  );

  it('answers, for any text at all, nothing or a finite wait within [0, maxMs]', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.nat({ max: 10_000_000 }), (text, maxMs) => {
        for (const unit of ['seconds', 'milliseconds'] as const) {
          const ms = retryAfterMs(text, { unit, maxMs, now: () => NOW });
          if (ms !== undefined) {
            expect(Number.isFinite(ms)).toBe(true);
            expect(ms).toBeGreaterThanOrEqual(0);
            expect(ms).toBeLessThanOrEqual(maxMs);
          }
        }
      }),
    );
  });
});
