import type { SweepRecord } from '#shared/jobs/jobStore.ts';

/** A sweep as the sweeper records it: three jobs claimed, one finished, one poll throttled. */
export function sampleSweep(startedAt: number): SweepRecord {
  return {
    startedAt,
    durationMs: 812,
    claimed: 3,
    succeeded: 1,
    failed: 0,
    gaveUp: 0,
    rescheduled: 2,
    notified: 1,
    notifyFailed: 0,
    throttled: 1,
    errors: { UpstreamThrottled: 1 },
  };
}
