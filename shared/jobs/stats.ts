/**
 * `GET /stats`: what an operator needs to see at a glance, from what the store counts (`StoreStats`):
 * jobs and notifications by state, how many are due, how long the oldest pending job has waited, how long
 * recent jobs took to finish (quantiles and a fixed-bucket histogram), and the last sweeps.
 */
import type { RecentSweep, Stats } from '#shared/query/operatorApi.ts';
import type { StoreStats, SweepRecord } from './jobStore.ts';

/** Upper bounds of the histogram's buckets, in seconds; a last bucket (`null`) holds what is longer. */
export const HISTOGRAM_BOUNDS_SECONDS = [10, 30, 60, 120, 300, 600, 1800, 3600] as const;

const iso = (ms: number) => new Date(ms).toISOString();

/** The nearest-rank quantile `q` of ascending `sorted`; null for none. */
function quantile(sorted: readonly number[], q: number): number | null {
  return sorted.length === 0 ? null : (sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number);
}

/** Times to finish, in seconds: count, median, 95th percentile, longest, and the histogram. */
export function timeToFinish(finishTimesMs: readonly number[]) {
  const seconds = finishTimesMs.map((ms) => ms / 1000).sort((a, b) => a - b);
  const histogram = [...HISTOGRAM_BOUNDS_SECONDS, null].map((upToSeconds) => ({ upToSeconds, count: 0 }));
  for (const value of seconds) {
    const bucket = histogram.find((b) => b.upToSeconds === null || value <= b.upToSeconds);
    if (bucket) bucket.count++;
  }
  return {
    count: seconds.length,
    p50Seconds: quantile(seconds, 0.5),
    p95Seconds: quantile(seconds, 0.95),
    maxSeconds: seconds.at(-1) ?? null,
    histogram,
  };
}

/** A sweep as `/stats` shows it: its start as ISO-8601. */
function recentSweep({ startedAt, ...counts }: SweepRecord): RecentSweep {
  return { startedAt: iso(startedAt), ...counts };
}

/** The body of `GET /stats` as of `now`. Sweeps are newest first (by start: overlapping ones end out of order). */
export function statsView(stats: StoreStats, now: number): Stats {
  return {
    generatedAt: iso(now),
    jobs: stats.jobs,
    notifications: stats.notifications,
    dueNow: stats.dueNow,
    oldestPendingAgeSeconds:
      stats.oldestPendingSince === null ? null : Math.max(0, now - stats.oldestPendingSince) / 1000,
    timeToFinish: timeToFinish(stats.finishTimesMs),
    sweeps: [...stats.sweeps].sort((a, b) => b.startedAt - a.startedAt).map(recentSweep),
  };
}
