import { describe, expect, it } from 'vitest';
import {
  bucketLabel,
  formatCount,
  formatMs,
  formatRelative,
  formatSeconds,
  shortBucketLabel,
  stateLabel,
} from '#local/console/page/format.ts';

describe('how the console writes figures', () => {
  it.each([
    [null, '—'],
    [0, '0 s'],
    [0.44, '0.4 s'],
    [9.96, '10 s'],
    [42.1, '42 s'],
    [60, '1 min'],
    [86.2, '1 min 26 s'],
    [3600, '1 h'],
    [7500, '2 h 5 min'],
    [90_061, '1 d 1 h'],
    [-3, '0 s'],
  ])('%s seconds: %s', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });

  it('counts, milliseconds, times relative to now, states', () => {
    expect(formatCount(12345)).toBe('12,345');
    expect(formatMs(812)).toBe('812 ms');
    expect(formatMs(2500)).toBe('2.5 s');
    const now = Date.parse('2026-12-02T03:00:00.000Z');
    expect(formatRelative('2026-12-02T02:58:34.000Z', now)).toBe('1 min 26 s ago');
    expect(formatRelative('2026-12-02T03:00:03.200Z', now)).toBe('in 3 s');
    expect(formatRelative('2026-12-02T03:00:00.400Z', now)).toBe('now');
    expect(stateLabel('gave_up')).toBe('gave up');
  });

  it('labels histogram buckets by their bounds, long for tables and short for the axis', () => {
    expect(bucketLabel(10, null)).toBe('≤ 10 s');
    expect(bucketLabel(1800, 600)).toBe('≤ 30 min');
    expect(bucketLabel(null, 3600)).toBe('> 1 h');
    expect(shortBucketLabel(30, 10)).toBe('≤30s');
    expect(shortBucketLabel(120, 60)).toBe('≤2m');
    expect(shortBucketLabel(null, 3600)).toBe('>1h');
  });
});
