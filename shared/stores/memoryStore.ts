/**
 * An in-memory `JobStore` for unit tests and benchmarks: one process, nothing durable. It passes the
 * same contract suite as the real adapters; every read and write copies, as a real store serializes.
 */
import {
  canCommit,
  claimed,
  committed,
  countStats,
  cursorId,
  isDue,
  type JobStore,
  listCursor,
  newTrackedJob,
  RECENT_SWEEPS,
  requeued,
  type SweepRecord,
  type TrackedJob,
  trackKnown,
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
    async track(input) {
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

    async claimDue(input) {
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

    async commit(job, owner, changes) {
      const stored = jobs.get(job.id);
      if (!stored || !canCommit(stored, job, owner)) return null;
      const next = committed(stored, changes);
      jobs.set(job.id, next);
      return copy(next);
    },

    async get(id) {
      const job = jobs.get(id);
      return job ? copy(job) : null;
    },

    async requeueNotification(input) {
      const stored = jobs.get(input.id);
      if (!stored) return null;
      const next = requeued(stored, input.now);
      jobs.set(input.id, next);
      return copy(next);
    },

    async list(input) {
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

    async untrack(id) {
      return jobs.delete(id);
    },

    async recordSweep(record) {
      sweeps = [structuredClone(record), ...sweeps].slice(0, RECENT_SWEEPS);
    },

    // Counts every job: fine for the tests and benchmarks this store is for.
    async stats(now) {
      return { ...countStats(jobs.values(), now), sweeps: structuredClone(sweeps) };
    },

    async close() {},
  };
}
