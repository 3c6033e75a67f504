import { describe, expect, it } from 'vitest';
import { COMMIT_WINDOW_MS, coalesce, coalescedCommit } from '#shared/jobs/commitWindow.ts';
import type { JobStore } from '#shared/jobs/jobStore.ts';
import { createMemoryStore } from '#shared/stores/memoryStore.ts';

describe('coalesce', () => {
  it('starts the calls made within the window together, each with its own result', async () => {
    const started: number[][] = [];
    let tick = 0;
    const run = coalesce(async (n: number) => {
      started.push([tick, n]);
      return n * 2;
    }, 5);
    const results = Promise.all([run(1), run(2), run(3)]);
    tick = 1;
    expect(await results).toEqual([2, 4, 6]);
    expect(started).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
  });

  it('passes a rejection to its own caller only', async () => {
    const run = coalesce(async (n: number) => {
      if (n === 2) throw new Error('two');
      return n;
    }, 1);
    const [one, two] = await Promise.allSettled([run(1), run(2)]);
    expect(one).toEqual({ status: 'fulfilled', value: 1 });
    expect(two).toMatchObject({ status: 'rejected', reason: new Error('two') });
  });
});

describe('coalescedCommit', () => {
  it("sends the store's commits of one window together, each to the store itself", async () => {
    const store = createMemoryStore();
    for (const id of ['a', 'b']) await store.track({ id, now: 0 });
    const jobs = await store.claimDue({ owner: 'sweeper-1', now: 0, limit: 2, leaseMs: 60_000 });
    const sentAt: number[] = [];
    const commit = store.commit;
    // A method that needs its store as `this`, as the adapters' do.
    const watched: JobStore = Object.assign(Object.create(store), {
      commit(this: JobStore, ...args: Parameters<JobStore['commit']>) {
        expect(this).toBe(watched);
        sentAt.push(performance.now());
        return commit.apply(store, args);
      },
    });
    const windowed = coalescedCommit(watched);
    const asked = performance.now();
    const saved = await Promise.all(jobs.map((job) => windowed(job, 'sweeper-1', { lastError: 'x' })));
    expect(saved.map((job) => job?.lastError)).toEqual(['x', 'x']);
    expect(sentAt).toHaveLength(2);
    // Both went out when the window closed, not as they were asked for.
    expect(Math.min(...sentAt) - asked).toBeGreaterThanOrEqual(COMMIT_WINDOW_MS - 1);
    expect(Math.max(...sentAt) - Math.min(...sentAt)).toBeLessThan(COMMIT_WINDOW_MS);
  });
});
