/**
 * An in-memory `JobStore` for unit tests and benchmarks: one process, nothing durable. It passes the
 * same contract suite as the real adapters; every read and write copies, as a real store serializes.
 */
import {
  type ClaimInput,
  canCommit,
  claimed,
  committed,
  countsAsFinished,
  cursorId,
  isDue,
  type JobChanges,
  type JobStore,
  type ListInput,
  listCursor,
  NOTIFICATION_STATES,
  newTrackedJob,
  RECENT_FINISHED,
  RECENT_SWEEPS,
  requeued,
  type StoreStats,
  type SweepRecord,
  TRACKED_STATES,
  type TrackedJob,
  type TrackInput,
  type TrackResult,
  trackKnown,
  zeroCounts,
} from '#shared/jobs/jobStore.ts';

export function createMemoryStore(): JobStore {
  const jobs = new Map<string, TrackedJob>();
  let sweeps: SweepRecord[] = [];
  const copy = (job: TrackedJob) => structuredClone(job);
  const pendingCount = () => {
    let count = 0;
    for (const job of jobs.values()) if (job.state === 'pending') count++;
    return count;
  };

  return {
    async track(input: TrackInput): Promise<TrackResult> {
      const existing = jobs.get(input.id);
      if (existing) {
        const result = trackKnown(copy(existing), input);
        if (result.outcome === 'targetSet') jobs.set(input.id, copy(result.job));
        return result;
      }
      if (input.maxPending !== undefined && pendingCount() >= input.maxPending) {
        return { outcome: 'full', job: null };
      }
      const job = newTrackedJob(input);
      jobs.set(job.id, copy(job));
      return { outcome: 'created', job };
    },

    async claimDue(input: ClaimInput) {
      const due = [...jobs.values()]
        .filter((job) => isDue(job, input.now))
        .sort((a, b) => (a.nextPollAt ?? 0) - (b.nextPollAt ?? 0))
        .slice(0, input.limit);
      return due.map((job) => {
        const next = claimed(job, input);
        jobs.set(job.id, next);
        return copy(next);
      });
    },

    async commit(job: TrackedJob, owner: string, changes: JobChanges) {
      const stored = jobs.get(job.id);
      if (!stored || !canCommit(stored, job, owner)) return null;
      const next = committed(stored, changes);
      jobs.set(job.id, next);
      return copy(next);
    },

    async get(id: string) {
      const job = jobs.get(id);
      return job ? copy(job) : null;
    },

    async requeueNotification(input: { id: string; now: number }) {
      const stored = jobs.get(input.id);
      if (!stored) return null;
      const next = requeued(stored, input.now);
      jobs.set(input.id, next);
      return copy(next);
    },

    async list(input: ListInput) {
      const after = input.cursor === undefined ? undefined : cursorId(input.state, input.cursor);
      const matching = [...jobs.values()]
        .filter((job) => job.state === input.state)
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const start = after === undefined ? 0 : matching.findIndex((job) => job.id > after);
      const page = start < 0 ? [] : matching.slice(start, start + input.limit);
      const last = page.at(-1);
      const more = start >= 0 && start + input.limit < matching.length;
      return { jobs: page.map(copy), cursor: more && last ? listCursor(input.state, last.id) : null };
    },

    async untrack(id: string) {
      return jobs.delete(id);
    },

    async recordSweep(record: SweepRecord) {
      sweeps = [structuredClone(record), ...sweeps].slice(0, RECENT_SWEEPS);
    },

    // Counts every job: fine for the tests and benchmarks this store is for.
    async stats(now: number): Promise<StoreStats> {
      const stats: StoreStats = {
        jobs: zeroCounts(TRACKED_STATES),
        notifications: zeroCounts(NOTIFICATION_STATES),
        dueNow: 0,
        oldestPendingSince: null,
        finishTimesMs: [],
        sweeps: structuredClone(sweeps),
      };
      const finished: TrackedJob[] = [];
      for (const job of jobs.values()) {
        stats.jobs[job.state]++;
        stats.notifications[job.notification]++;
        if (isDue(job, now)) stats.dueNow++;
        if (job.state === 'pending') {
          stats.oldestPendingSince = Math.min(stats.oldestPendingSince ?? job.firstSeenAt, job.firstSeenAt);
        }
        if (countsAsFinished(job)) finished.push(job);
      }
      stats.finishTimesMs = finished
        .sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0))
        .slice(0, RECENT_FINISHED)
        .map((job) => (job.finishedAt ?? 0) - job.firstSeenAt);
      return stats;
    },

    async close() {},
  };
}
