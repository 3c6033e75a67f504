/**
 * The one behaviour every `JobStore` adapter must have. Each adapter's test file calls
 * `describeJobStoreContract` with a way to open connections to one fresh, shared backend; tests
 * open several connections to race them, as several sweepers (processes, FC instances) would.
 * Time is an input of every operation, so leases expire without waiting.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  countStats,
  type JobChanges,
  type JobStore,
  type NotifyTarget,
  RECENT_FINISHED,
  RECENT_SWEEPS,
  type StoreStats,
  type SweepRecord,
  TRACKED_STATES,
  type TrackedJob,
} from '#shared/jobs/jobStore.ts';

export interface ContractBackend {
  /** A new connection to the backend under test (fresh for each test, shared by its connections). */
  open(): Promise<JobStore>;
  /** Called after each test: close what is left and delete the backend's data. */
  dispose(): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 25);
const LEASE = 60_000;

const sweepRecord = (n: number): SweepRecord => ({
  startedAt: T0 + n * 60_000,
  durationMs: 800 + n,
  claimed: n,
  succeeded: 1,
  failed: 0,
  gaveUp: 0,
  rescheduled: n - 1,
  notified: 1,
  notifyFailed: 0,
  throttled: n % 2,
  errors: n % 2 ? { UpstreamThrottled: 1 } : {},
});

/** Every job of every state, read a page at a time (what an operator could see). */
async function everyJob(store: JobStore): Promise<TrackedJob[]> {
  const jobs: TrackedJob[] = [];
  for (const state of TRACKED_STATES) {
    let cursor: string | undefined;
    do {
      const page = await store.list({ state, limit: 500, cursor });
      jobs.push(...page.jobs);
      cursor = page.cursor ?? undefined;
    } while (cursor);
  }
  return jobs;
}

/** Finish times in ascending order: a store may read them in any. */
const inOrder = (stats: Omit<StoreStats, 'sweeps'>) => ({
  ...stats,
  finishTimesMs: [...stats.finishTimesMs].sort((a, b) => a - b),
});

/** The stats of these jobs, counted one by one (`countStats`). */
const recount = (jobs: TrackedJob[], now: number) => inOrder(countStats(jobs, now));

async function countedStats(store: JobStore, now: number): Promise<Omit<StoreStats, 'sweeps'>> {
  const { sweeps: _, ...stats } = await store.stats(now);
  return inOrder(stats);
}

export function describeJobStoreContract(name: string, createBackend: () => Promise<ContractBackend>): void {
  describe(`JobStore contract: ${name}`, () => {
    let backend: ContractBackend;
    let store: JobStore;
    const opened: JobStore[] = [];

    async function connect(): Promise<JobStore> {
      const connection = await backend.open();
      opened.push(connection);
      return connection;
    }

    beforeEach(async () => {
      backend = await createBackend();
      store = await connect();
    });

    afterEach(async () => {
      for (const connection of opened.splice(0)) await connection.close();
      await backend.dispose();
    });

    async function trackMany(count: number, now = T0): Promise<string[]> {
      const ids = Array.from({ length: count }, (_, i) => `job-${String(i).padStart(5, '0')}`);
      for (const id of ids) await store.track({ id, now });
      return ids;
    }

    describe('track', () => {
      it('creates a pending job due at once, then is idempotent', async () => {
        const target: NotifyTarget = { type: 'function', name: 'on-job-done' };
        const first = await store.track({ id: 'a', notify: target, now: T0 });
        expect(first.outcome).toBe('created');
        expect(first.job).toMatchObject({
          id: 'a',
          state: 'pending',
          status: '',
          attempts: 0,
          notFoundCount: 0,
          firstSeenAt: T0,
          nextPollAt: T0,
          lastPolledAt: null,
          leaseOwner: null,
          notify: target,
          notification: 'none',
        });
        for (const notify of [undefined, null, target]) {
          const again = await store.track({ id: 'a', notify, now: T0 + 5 });
          expect(again).toEqual({ outcome: 'unchanged', job: first.job });
        }
        expect(await store.get('a')).toEqual(first.job);
      });

      it('stores any id and every notify target exactly', async () => {
        const targets: NotifyTarget[] = [
          { type: 'function', name: 'f', qualifier: 'prod' },
          { type: 'fc2', service: 'svc', name: 'f' },
          { type: 'webhook', url: 'https://hooks.example.test/a?b=c' },
        ];
        const ids = ['中文✓ 😀', 'a/b?c=d&e', 'x'.repeat(256)];
        for (const [i, id] of ids.entries()) {
          await store.track({ id, notify: targets[i], now: T0 });
          expect(await store.get(id)).toMatchObject({ id, notify: targets[i] });
        }
      });

      it('answers null for a job it does not know', async () => {
        expect(await store.get('nope')).toBeNull();
      });
    });

    describe('track: who sets the target', () => {
      const mine: NotifyTarget = { type: 'webhook', url: 'https://owner.example.test/hook' };
      const theirs: NotifyTarget = { type: 'function', name: 'somebody-else' };

      it('gives a job tracked without a target (by a query) the target its owner brings', async () => {
        const queried = await store.track({ id: 'a', now: T0 });
        const owned = await store.track({ id: 'a', notify: mine, now: T0 + 1 });
        expect(owned).toEqual({
          outcome: 'targetSet',
          job: { ...queried.job, notify: mine, version: (queried.job?.version ?? 0) + 1 },
        });
        expect(await store.get('a')).toEqual(owned.job);
        expect(await store.track({ id: 'a', notify: mine, now: T0 + 2 })).toEqual({
          outcome: 'unchanged',
          job: owned.job,
        });
      });

      it('keeps the first target: another one is a conflict and changes nothing', async () => {
        const first = await store.track({ id: 'a', notify: mine, now: T0 });
        expect(await store.track({ id: 'a', notify: theirs, now: T0 + 1 })).toEqual({
          outcome: 'conflict',
          job: first.job,
        });
        expect(await store.get('a')).toEqual(first.job);
      });

      it('compares targets by what they name, not by how their properties are ordered', async () => {
        await store.track({ id: 'a', notify: { type: 'function', name: 'f', qualifier: 'LIVE' }, now: T0 });
        const reordered = { qualifier: 'LIVE', name: 'f', type: 'function' } as NotifyTarget;
        expect((await store.track({ id: 'a', notify: reordered, now: T0 })).outcome).toBe('unchanged');
        expect(
          (await store.track({ id: 'a', notify: { type: 'function', name: 'f' }, now: T0 })).outcome,
        ).toBe('conflict');
      });

      it('sets the target of an ended job and sends its news there, at once', async () => {
        await store.track({ id: 'a', now: T0 });
        const [job] = await store.claimDue({ owner: 's1', now: T0, limit: 1, leaseMs: LEASE });
        await store.commit(job as TrackedJob, 's1', {
          state: 'succeeded',
          finishedAt: T0,
          nextPollAt: null,
          notification: 'sent', // to the deployment's default target
          notifyAttempts: 2,
        });
        const owned = await store.track({ id: 'a', notify: mine, now: T0 + 10_000 });
        expect(owned.job).toMatchObject({
          state: 'succeeded',
          notify: mine,
          notification: 'pending',
          notifyAttempts: 0,
          nextPollAt: T0 + 10_000,
        });
        const due = await store.claimDue({ owner: 's2', now: T0 + 10_000, limit: 10, leaseMs: LEASE });
        expect(due.map((claimed) => [claimed.id, claimed.notify])).toEqual([['a', mine]]);
      });

      it('makes a sweeper that held the job while its target was set lose its commit; the job comes back', async () => {
        await store.track({ id: 'a', now: T0 });
        const [held] = await store.claimDue({ owner: 's1', now: T0, limit: 1, leaseMs: LEASE });
        await store.track({ id: 'a', notify: mine, now: T0 + 1 });
        expect(
          await store.commit(held as TrackedJob, 's1', {
            state: 'succeeded',
            notification: 'sent',
            nextPollAt: null,
          }),
        ).toBeNull();
        const [back] = await store.claimDue({ owner: 's2', now: T0 + LEASE, limit: 1, leaseMs: LEASE });
        expect(back).toMatchObject({ id: 'a', state: 'pending', notify: mine });
      });

      it('sets it once when owners race: one target set, every other a conflict', async () => {
        await store.track({ id: 'a', now: T0 });
        const connections = [store, ...(await Promise.all(Array.from({ length: 3 }, connect)))];
        const targets = Array.from(
          { length: 8 },
          (_, i): NotifyTarget => ({ type: 'function', name: `f${i}` }),
        );
        const results = await Promise.all(
          targets.map((notify, i) =>
            connections[i % connections.length]?.track({ id: 'a', notify, now: T0 }),
          ),
        );
        const outcomes = results.map((result) => result?.outcome).sort();
        expect(outcomes).toEqual([
          'conflict',
          'conflict',
          'conflict',
          'conflict',
          'conflict',
          'conflict',
          'conflict',
          'targetSet',
        ]);
        const winner = results.find((result) => result?.outcome === 'targetSet');
        expect((await store.get('a'))?.notify).toEqual(winner?.job?.notify);
      });
    });

    describe('track: MAX_TRACKED_JOBS', () => {
      it('tracks no new job while maxPending jobs are pending; ended jobs do not count', async () => {
        await trackMany(3);
        expect(await store.track({ id: 'new', now: T0, maxPending: 3 })).toEqual({
          outcome: 'full',
          job: null,
        });
        expect(await store.get('new')).toBeNull();
        // A job already tracked is still answered (and may still take its target).
        expect(
          (
            await store.track({
              id: 'job-00000',
              notify: { type: 'function', name: 'f' },
              now: T0,
              maxPending: 3,
            })
          ).outcome,
        ).toBe('targetSet');
        const [ended] = await store.claimDue({ owner: 's', now: T0, limit: 1, leaseMs: LEASE });
        await store.commit(ended as TrackedJob, 's', { state: 'failed', nextPollAt: null });
        expect((await store.track({ id: 'new', now: T0, maxPending: 3 })).outcome).toBe('created');
        expect((await store.track({ id: 'newer', now: T0, maxPending: 3 })).outcome).toBe('full');
      });
    });

    describe('requeueNotification', () => {
      async function endedJob(changes: Partial<TrackedJob>) {
        await store.track({ id: 'a', notify: { type: 'function', name: 'f' }, now: T0 });
        const [job] = await store.claimDue({ owner: 's1', now: T0, limit: 1, leaseMs: LEASE });
        return (await store.commit(job as TrackedJob, 's1', {
          state: 'succeeded',
          finishedAt: T0,
          nextPollAt: null,
          ...changes,
        })) as TrackedJob;
      }

      it('puts a failed notification back to pending, due at once, its tries counted afresh', async () => {
        const failed = await endedJob({ notification: 'failed', notifyAttempts: 20, lastError: 'Http404' });
        expect(await store.claimDue({ owner: 's', now: T0 + 10 ** 9, limit: 1, leaseMs: LEASE })).toEqual([]);
        const requeued = await store.requeueNotification({ id: 'a', now: T0 + 5_000 });
        expect(requeued).toEqual({
          ...failed,
          notification: 'pending',
          notifyAttempts: 0,
          nextPollAt: T0 + 5_000,
          version: failed.version + 1,
        });
        expect(await store.get('a')).toEqual(requeued);
        const due = await store.claimDue({ owner: 's', now: T0 + 5_000, limit: 1, leaseMs: LEASE });
        expect(due.map((job) => job.id)).toEqual(['a']);
      });

      it('sends a sent one again too (an operator asked)', async () => {
        await endedJob({ notification: 'sent', notifyAttempts: 1 });
        expect(await store.requeueNotification({ id: 'a', now: T0 })).toMatchObject({
          notification: 'pending',
        });
      });

      it('leaves a job that has not ended as it is, and answers null for no job', async () => {
        const { job } = await store.track({ id: 'p', now: T0 });
        expect(await store.requeueNotification({ id: 'p', now: T0 + 1 })).toEqual(job);
        expect(await store.requeueNotification({ id: 'nope', now: T0 })).toBeNull();
      });

      it('makes the sweeper holding the job lose its commit; the job comes back when the lease ends', async () => {
        await endedJob({ notification: 'pending', notifyAttempts: 1, nextPollAt: T0 });
        const [held] = await store.claimDue({ owner: 's2', now: T0, limit: 1, leaseMs: LEASE });
        await store.requeueNotification({ id: 'a', now: T0 + 1 });
        expect(
          await store.commit(held as TrackedJob, 's2', { notification: 'failed', nextPollAt: null }),
        ).toBeNull();
        expect(await store.claimDue({ owner: 's3', now: T0 + 1, limit: 1, leaseMs: LEASE })).toEqual([]);
        const [back] = await store.claimDue({ owner: 's3', now: T0 + LEASE, limit: 1, leaseMs: LEASE });
        expect(back).toMatchObject({ id: 'a', notification: 'pending', notifyAttempts: 0 });
      });
    });

    describe('claimDue', () => {
      it('leases due jobs, earliest first, up to the limit', async () => {
        await store.track({ id: 'late', now: T0 + 2 });
        await store.track({ id: 'early', now: T0 });
        await store.track({ id: 'future', now: T0 + 10_000 });
        const jobs = await store.claimDue({ owner: 's1', now: T0 + 5, limit: 1, leaseMs: LEASE });
        expect(jobs.map((job) => job.id)).toEqual(['early']);
        expect(jobs[0]).toMatchObject({ leaseOwner: 's1', leaseExpiresAt: T0 + 5 + LEASE, version: 1 });
        const rest = await store.claimDue({ owner: 's1', now: T0 + 5, limit: 10, leaseMs: LEASE });
        expect(rest.map((job) => job.id)).toEqual(['late']);
      });

      it('never hands a leased job to another owner until the lease expires', async () => {
        await trackMany(3);
        const first = await store.claimDue({ owner: 's1', now: T0, limit: 10, leaseMs: LEASE });
        expect(first).toHaveLength(3);
        expect(await store.claimDue({ owner: 's2', now: T0 + LEASE - 1, limit: 10, leaseMs: LEASE })).toEqual(
          [],
        );
        const taken = await store.claimDue({ owner: 's2', now: T0 + LEASE, limit: 10, leaseMs: LEASE });
        expect(taken.map((job) => job.leaseOwner)).toEqual(['s2', 's2', 's2']);
      });

      it('returns nothing when nothing is due', async () => {
        expect(await store.claimDue({ owner: 's1', now: T0, limit: 10, leaseMs: LEASE })).toEqual([]);
      });
    });

    describe('commit', () => {
      it('applies the changes, releases the lease and bumps the version', async () => {
        await store.track({ id: 'a', now: T0 });
        const [job] = await store.claimDue({ owner: 's1', now: T0, limit: 1, leaseMs: LEASE });
        if (!job) throw new Error('not claimed');
        const saved = await store.commit(job, 's1', {
          attempts: 1,
          status: 'INFERRING',
          lastPolledAt: T0,
          nextPollAt: T0 + 1000,
          lastError: 'Throttling.User',
          notFoundCount: 2,
        });
        expect(saved).toMatchObject({
          attempts: 1,
          status: 'INFERRING',
          notFoundCount: 2,
          leaseOwner: null,
          leaseExpiresAt: null,
          version: 2,
        });
        expect(await store.get('a')).toEqual(saved);
      });

      it('reschedules: the job is due again at nextPollAt and not before', async () => {
        await store.track({ id: 'a', now: T0 });
        const [job] = await store.claimDue({ owner: 's1', now: T0, limit: 1, leaseMs: LEASE });
        await store.commit(job as TrackedJob, 's1', { nextPollAt: T0 + 30_000 });
        expect(await store.claimDue({ owner: 's1', now: T0 + 29_999, limit: 1, leaseMs: LEASE })).toEqual([]);
        expect(
          await store.claimDue({ owner: 's1', now: T0 + 30_000, limit: 1, leaseMs: LEASE }),
        ).toHaveLength(1);
      });

      it('finishes: a job with nextPollAt null is never due again', async () => {
        await store.track({ id: 'a', now: T0 });
        const [job] = await store.claimDue({ owner: 's1', now: T0, limit: 1, leaseMs: LEASE });
        await store.commit(job as TrackedJob, 's1', {
          state: 'succeeded',
          status: 'FINISHED',
          images: ['0000.png', '0001.png'],
          finishedAt: T0,
          nextPollAt: null,
          notification: 'sent',
          notifyAttempts: 1,
        });
        expect(await store.claimDue({ owner: 's1', now: T0 + 10 ** 9, limit: 1, leaseMs: LEASE })).toEqual(
          [],
        );
        expect(await store.get('a')).toMatchObject({ state: 'succeeded', images: ['0000.png', '0001.png'] });
      });

      it('refuses a commit from an owner who does not hold the lease', async () => {
        await store.track({ id: 'a', now: T0 });
        const [job] = await store.claimDue({ owner: 's1', now: T0, limit: 1, leaseMs: LEASE });
        expect(await store.commit(job as TrackedJob, 's2', { attempts: 9 })).toBeNull();
        expect(await store.get('a')).toMatchObject({ attempts: 0, leaseOwner: 's1' });
      });

      it('refuses a stale commit after the lease expired and the job was taken over', async () => {
        await store.track({ id: 'a', now: T0 });
        const [stale] = await store.claimDue({ owner: 's1', now: T0, limit: 1, leaseMs: LEASE });
        const [fresh] = await store.claimDue({ owner: 's1', now: T0 + LEASE, limit: 1, leaseMs: LEASE });
        expect(await store.commit(stale as TrackedJob, 's1', { attempts: 5 })).toBeNull();
        expect(await store.commit(fresh as TrackedJob, 's1', { attempts: 1 })).toMatchObject({ attempts: 1 });
      });

      it('refuses a commit for a job it does not know', async () => {
        await store.track({ id: 'a', now: T0 });
        const [job] = await store.claimDue({ owner: 's1', now: T0, limit: 1, leaseMs: LEASE });
        expect(await store.commit({ ...(job as TrackedJob), id: 'other' }, 's1', {})).toBeNull();
      });
    });

    describe('list', () => {
      it('lists one state a page at a time', async () => {
        const ids = await trackMany(5);
        const claimedJobs = await store.claimDue({ owner: 's', now: T0, limit: 2, leaseMs: LEASE });
        for (const job of claimedJobs)
          await store.commit(job, 's', { state: 'gave_up', reason: 'too old', nextPollAt: null });
        const seen: string[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < 10; page++) {
          const result = await store.list({ state: 'pending', limit: 2, cursor });
          seen.push(...result.jobs.map((job) => job.id));
          if (!result.cursor) break;
          cursor = result.cursor;
        }
        expect(seen.sort()).toEqual(ids.slice(2));
        const gaveUp = await store.list({ state: 'gave_up', limit: 10 });
        expect(gaveUp.jobs.map((job) => job.reason)).toEqual(['too old', 'too old']);
        expect(gaveUp.cursor).toBeNull();
      });
    });

    describe('list cursors', () => {
      it('pages with the cursor a page returned, and refuses any other with InvalidCursor', async () => {
        await trackMany(3);
        const first = await store.list({ state: 'pending', limit: 2 });
        expect(first.cursor).toEqual(expect.any(String));
        const second = await store.list({ state: 'pending', limit: 2, cursor: first.cursor ?? '' });
        expect(second.jobs.map((job) => job.id)).toEqual(['job-00002']);
        const made = Buffer.from('pending\njob-00000', 'utf16le').toString('base64url');
        expect((await store.list({ state: 'pending', limit: 5, cursor: made })).jobs).toHaveLength(2);
        for (const cursor of ['garbage', 'job-00001', '', '%%%', `${first.cursor}=`, made.slice(1)]) {
          await expect(store.list({ state: 'pending', limit: 2, cursor })).rejects.toMatchObject({
            code: 'InvalidCursor',
            statusCode: 400,
          });
        }
        // A cursor is for the state it was given for.
        await expect(
          store.list({ state: 'succeeded', limit: 2, cursor: first.cursor ?? '' }),
        ).rejects.toMatchObject({ code: 'InvalidCursor' });
      });
    });

    describe('untrack', () => {
      it('forgets a job: not got, listed, claimed nor counted; false for a job it does not have', async () => {
        await trackMany(2);
        expect(await store.untrack('job-00000')).toBe(true);
        expect(await store.get('job-00000')).toBeNull();
        expect(await store.untrack('job-00000')).toBe(false);
        expect(await store.untrack('nope')).toBe(false);
        expect((await store.list({ state: 'pending', limit: 10 })).jobs.map((job) => job.id)).toEqual([
          'job-00001',
        ]);
        const claimedJobs = await store.claimDue({ owner: 's1', now: T0, limit: 10, leaseMs: LEASE });
        expect(claimedJobs.map((job) => job.id)).toEqual(['job-00001']);
        expect((await store.stats(T0)).jobs.pending).toBe(1);
        // Tracked again, it starts afresh.
        expect(await store.track({ id: 'job-00000', now: T0 + 5 })).toMatchObject({
          outcome: 'created',
          job: { firstSeenAt: T0 + 5, version: 0 },
        });
      });

      it('makes the sweeper holding the job lose its commit, harmlessly', async () => {
        await store.track({ id: 'a', now: T0 });
        const [held] = await store.claimDue({ owner: 's1', now: T0, limit: 1, leaseMs: LEASE });
        expect(await store.untrack('a')).toBe(true);
        expect(
          await store.commit(held as TrackedJob, 's1', {
            state: 'succeeded',
            finishedAt: T0,
            nextPollAt: null,
          }),
        ).toBeNull();
        expect(await store.get('a')).toBeNull();
        expect(await store.claimDue({ owner: 's2', now: T0 + LEASE, limit: 1, leaseMs: LEASE })).toEqual([]);
        expect(await countedStats(store, T0 + LEASE)).toEqual(recount([], T0 + LEASE));
      });
    });

    describe('stats', () => {
      async function commitClaimed(job: TrackedJob | undefined, changes: JobChanges) {
        expect(await store.commit(job as TrackedJob, 's1', changes)).not.toBeNull();
      }

      it('counts jobs and notifications by state, due jobs, the oldest pending one and times to finish', async () => {
        for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) await store.track({ id, now: T0 + i * 1_000 });
        const [a, b, c] = await store.claimDue({ owner: 's1', now: T0 + 5_000, limit: 3, leaseMs: LEASE });
        const ended = { nextPollAt: null };
        await commitClaimed(a, {
          ...ended,
          state: 'succeeded',
          finishedAt: T0 + 10_000,
          notification: 'sent',
        });
        await commitClaimed(b, {
          ...ended,
          state: 'failed',
          finishedAt: T0 + 31_000,
          notification: 'failed',
        });
        await commitClaimed(c, {
          state: 'gave_up',
          finishedAt: T0 + 5_000,
          notification: 'pending',
          nextPollAt: T0 + 6_000,
        });
        expect(await store.stats(T0 + 7_000)).toEqual({
          jobs: { pending: 1, succeeded: 1, failed: 1, gave_up: 1 },
          notifications: { none: 1, pending: 1, sent: 1, failed: 1 },
          dueNow: 2, // d, to poll; c, to notify
          oldestPendingSince: T0 + 3_000,
          finishTimesMs: [30_000, 10_000].sort((x, y) => y - x).map((ms) => ms), // gave_up is not counted
          sweeps: [],
        });
        // A live lease is not due; an expired one is.
        await store.claimDue({ owner: 's2', now: T0 + 7_000, limit: 1, leaseMs: LEASE });
        expect((await store.stats(T0 + 7_000)).dueNow).toBe(1);
        expect((await store.stats(T0 + 7_000 + LEASE)).dueNow).toBe(2);
        // A re-sent notification and an untracked job show at once.
        await store.requeueNotification({ id: 'a', now: T0 + 8_000 });
        await store.untrack('b');
        expect(await store.stats(T0 + 8_000)).toMatchObject({
          jobs: { pending: 1, succeeded: 1, failed: 0, gave_up: 1 },
          notifications: { none: 1, pending: 2, sent: 0, failed: 0 },
          finishTimesMs: [10_000],
        });
      });

      it('answers zeros and nulls for an empty store', async () => {
        expect(await store.stats(T0)).toEqual({
          jobs: { pending: 0, succeeded: 0, failed: 0, gave_up: 0 },
          notifications: { none: 0, pending: 0, sent: 0, failed: 0 },
          dueNow: 0,
          oldestPendingSince: null,
          finishTimesMs: [],
          sweeps: [],
        });
      });

      it(`times to finish cover the ${RECENT_FINISHED} jobs that ended last`, async () => {
        const ids = await trackMany(RECENT_FINISHED + 5);
        for (;;) {
          const batch = await store.claimDue({ owner: 's1', now: T0, limit: 200, leaseMs: LEASE });
          if (batch.length === 0) break;
          for (const job of batch) {
            const i = ids.indexOf(job.id);
            await store.commit(job, 's1', {
              state: 'succeeded',
              finishedAt: T0 + 1_000 * (i + 1),
              nextPollAt: null,
            });
          }
        }
        const { finishTimesMs } = await countedStats(store, T0);
        expect(finishTimesMs).toHaveLength(RECENT_FINISHED);
        expect(finishTimesMs[0]).toBe(6_000); // the first five ended earliest
        expect(finishTimesMs.at(-1)).toBe(1_000 * (RECENT_FINISHED + 5));
      }, 60_000);

      it(`keeps the last ${RECENT_SWEEPS} sweeps, newest first, shared by every connection`, async () => {
        const other = await connect();
        for (let n = 1; n <= RECENT_SWEEPS + 3; n++)
          await (n % 2 ? store : other).recordSweep(sweepRecord(n));
        const { sweeps } = await other.stats(T0);
        expect(sweeps).toHaveLength(RECENT_SWEEPS);
        expect(sweeps[0]).toEqual(sweepRecord(RECENT_SWEEPS + 3));
        expect(sweeps.at(-1)).toEqual(sweepRecord(4));
      });

      it('stays equal to a recount when sweepers race with untracks and re-sends', async () => {
        const ids = await trackMany(400);
        const connections = [store, ...(await Promise.all(Array.from({ length: 3 }, connect)))];
        const fates: JobChanges[] = [
          { state: 'succeeded', finishedAt: T0 + 30_000, notification: 'sent', nextPollAt: null },
          { state: 'failed', finishedAt: T0 + 45_000, notification: 'failed', nextPollAt: null },
          { state: 'gave_up', finishedAt: T0 + 90_000, notification: 'pending', nextPollAt: T0 + 1 },
          { attempts: 1, lastError: 'UpstreamThrottled: slow down', nextPollAt: T0 + 1 },
        ];
        const sweepers = connections.slice(0, 3).map(async (connection, i) => {
          for (;;) {
            const batch = await connection.claimDue({ owner: `s${i}`, now: T0, limit: 20, leaseMs: LEASE });
            if (batch.length === 0) return;
            await Promise.all(
              batch.map((job) =>
                connection.commit(job, `s${i}`, fates[ids.indexOf(job.id) % fates.length] as JobChanges),
              ),
            );
          }
        });
        const operator = connections[3] as JobStore;
        const meddling = (async () => {
          for (let i = 0; i + 1 < ids.length; i += 7) {
            await operator.untrack(ids[i] as string);
            await operator.requeueNotification({ id: ids[i + 1] as string, now: T0 });
          }
        })();
        await Promise.all([...sweepers, meddling]);
        const jobs = await everyJob(store);
        expect(jobs.length).toBeLessThan(ids.length);
        for (const now of [T0, T0 + 1, T0 + LEASE]) {
          expect(await countedStats(operator, now)).toEqual(recount(jobs, now));
        }
      }, 60_000);
    });

    describe('racing sweepers', () => {
      async function race(sweepers: number, jobs: number) {
        const ids = await trackMany(jobs);
        const connections = [store, ...(await Promise.all(Array.from({ length: sweepers - 1 }, connect)))];
        const processed = new Map<string, number>();
        await Promise.all(
          connections.map(async (connection, i) => {
            const owner = `sweeper-${i}`;
            for (;;) {
              const batch = await connection.claimDue({ owner, now: T0, limit: 25, leaseMs: LEASE });
              if (batch.length === 0) return;
              for (const job of batch) {
                const saved = await connection.commit(job, owner, { state: 'succeeded', nextPollAt: null });
                if (saved) processed.set(job.id, (processed.get(job.id) ?? 0) + 1);
              }
            }
          }),
        );
        expect([...processed.keys()].sort()).toEqual(ids);
        expect([...processed.values()].every((count) => count === 1)).toBe(true);
      }

      it('two sweepers over 1,000 jobs: every job processed, none twice', async () => {
        await race(2, 1_000);
      }, 60_000);

      it('eight sweepers over 1,000 jobs: every job processed, none twice', async () => {
        await race(8, 1_000);
      }, 60_000);

      it('a sweeper killed mid-sweep: its jobs are picked up after the lease expires', async () => {
        const ids = await trackMany(100);
        const killed = await store.claimDue({ owner: 'killed', now: T0, limit: 60, leaseMs: LEASE });
        expect(killed).toHaveLength(60);
        const survivor = await connect();
        const before = await survivor.claimDue({
          owner: 'survivor',
          now: T0 + 1,
          limit: 1000,
          leaseMs: LEASE,
        });
        expect(before).toHaveLength(40);
        for (const job of before) await survivor.commit(job, 'survivor', { nextPollAt: null });
        const after = await survivor.claimDue({
          owner: 'survivor',
          now: T0 + LEASE,
          limit: 1000,
          leaseMs: LEASE,
        });
        expect(after.map((job) => job.id).sort()).toEqual(killed.map((job) => job.id).sort());
        for (const job of after)
          expect(await survivor.commit(job, 'survivor', { nextPollAt: null })).not.toBeNull();
        expect(ids).toHaveLength(100);
      });
    });
  });
}
