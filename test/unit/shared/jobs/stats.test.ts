import { describe, expect, it } from 'vitest';
import type { StoreStats, SweepRecord } from '#shared/jobs/jobStore.ts';
import { statsView, timeToFinish } from '#shared/jobs/stats.ts';
import { lastErrorView } from '#shared/jobs/tracking.ts';

const NOW = Date.parse('2026-12-02T03:00:00.000Z');

const sweep = (startedAt: number): SweepRecord => ({
  startedAt,
  durationMs: 812,
  claimed: 40,
  succeeded: 10,
  failed: 1,
  gaveUp: 0,
  rescheduled: 29,
  notified: 11,
  notifyFailed: 0,
  throttled: 2,
  errors: { UpstreamThrottled: 2 },
});

describe('timeToFinish', () => {
  it('gives nearest-rank quantiles and the longest, in seconds', () => {
    const ms = Array.from({ length: 20 }, (_, i) => (20 - i) * 1_000); // 1 … 20 s, in no order
    expect(timeToFinish(ms)).toMatchObject({ count: 20, p50Seconds: 10, p95Seconds: 19, maxSeconds: 20 });
    expect(timeToFinish([42_100])).toMatchObject({ p50Seconds: 42.1, p95Seconds: 42.1, maxSeconds: 42.1 });
  });

  it('counts each time in the first bucket it fits, bounds included, and the rest over an hour', () => {
    const seconds = [0, 10, 10.001, 30, 59, 61, 120, 300, 301, 600, 1800, 3600, 3600.5, 86_400];
    const { histogram } = timeToFinish(seconds.map((s) => s * 1000));
    expect(histogram).toEqual([
      { upToSeconds: 10, count: 2 },
      { upToSeconds: 30, count: 2 },
      { upToSeconds: 60, count: 1 },
      { upToSeconds: 120, count: 2 },
      { upToSeconds: 300, count: 1 },
      { upToSeconds: 600, count: 2 },
      { upToSeconds: 1800, count: 1 },
      { upToSeconds: 3600, count: 1 },
      { upToSeconds: null, count: 2 },
    ]);
  });

  it('answers nulls and empty buckets for no finished job', () => {
    const none = timeToFinish([]);
    expect(none).toMatchObject({ count: 0, p50Seconds: null, p95Seconds: null, maxSeconds: null });
    expect(none.histogram.every((bucket) => bucket.count === 0)).toBe(true);
  });
});

describe('statsView', () => {
  const stats: StoreStats = {
    jobs: { pending: 12, succeeded: 340, failed: 5, gave_up: 2 },
    notifications: { none: 3, pending: 1, sent: 350, failed: 0 },
    dueNow: 4,
    oldestPendingSince: NOW - 86_200,
    finishTimesMs: [42_100],
    sweeps: [sweep(NOW - 120_000), sweep(NOW - 60_000), sweep(NOW - 180_000)],
  };

  it('is the contract’s shape: ISO times, ages in seconds, sweeps newest first', () => {
    const view = statsView(stats, NOW);
    expect(view).toMatchObject({
      generatedAt: '2026-12-02T03:00:00.000Z',
      jobs: stats.jobs,
      notifications: stats.notifications,
      dueNow: 4,
      oldestPendingAgeSeconds: 86.2,
      timeToFinish: { count: 1, p50Seconds: 42.1 },
    });
    expect(view.sweeps.map((s) => s.startedAt)).toEqual([
      '2026-12-02T02:59:00.000Z',
      '2026-12-02T02:58:00.000Z',
      '2026-12-02T02:57:00.000Z',
    ]);
    expect(view.sweeps[0]).toEqual({ ...sweep(0), startedAt: '2026-12-02T02:59:00.000Z' });
  });

  it('says null when nothing is pending, and never a negative age (a clock behind the sweeper’s)', () => {
    expect(statsView({ ...stats, oldestPendingSince: null }, NOW).oldestPendingAgeSeconds).toBeNull();
    expect(statsView({ ...stats, oldestPendingSince: NOW + 5 }, NOW).oldestPendingAgeSeconds).toBe(0);
  });
});

describe('lastErrorView', () => {
  it.each([
    [null, null],
    [
      'UpstreamThrottled: aicontent is throttling',
      { code: 'UpstreamThrottled', message: 'aicontent is throttling' },
    ],
    ['Throttling.User: slow: down', { code: 'Throttling.User', message: 'slow: down' }],
    ['socket hang up', { code: 'InternalError', message: 'socket hang up' }],
    ['two\nlines: no', { code: 'InternalError', message: 'two\nlines: no' }],
  ])('%j → %j', (text, view) => {
    expect(lastErrorView(text)).toEqual(view);
  });
});
