import { describe, expect, it } from 'vitest';
import { batchWindow, COMMIT_WINDOW_MS } from '#shared/stores/redis/commitWindow.ts';

describe('batchWindow', () => {
  it('runs the items added within the window as one batch when it closes, each with its own result', async () => {
    const batches: number[][] = [];
    const ranAt: number[] = [];
    const batcher = batchWindow(async (items: number[]) => {
      batches.push(items);
      ranAt.push(performance.now());
      return items.map((n) => n * 2);
    }, COMMIT_WINDOW_MS);
    const asked = performance.now();
    const results = Promise.all([batcher.add(1), batcher.add(2), batcher.add(3)]);
    expect(batches).toEqual([]);
    expect(await results).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
    // The batch went out when the window closed, not as the items were added.
    expect(Math.min(...ranAt) - asked).toBeGreaterThanOrEqual(COMMIT_WINDOW_MS - 1);
  });

  it('starts a new window for the items added after one closed', async () => {
    const batches: number[][] = [];
    const batcher = batchWindow(async (items: number[]) => {
      batches.push(items);
      return items;
    }, 1);
    expect(await Promise.all([batcher.add(1), batcher.add(2)])).toEqual([1, 2]);
    expect(await batcher.add(3)).toBe(3);
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it("passes a batch's rejection to each of its items, and to no other batch's", async () => {
    const batcher = batchWindow(async (items: number[]) => {
      if (items.includes(2)) throw new Error('two');
      return items;
    }, 1);
    const first = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    const later = await Promise.allSettled([batcher.add(3)]);
    expect(first).toMatchObject([
      { status: 'rejected', reason: new Error('two') },
      { status: 'rejected', reason: new Error('two') },
    ]);
    expect(later).toEqual([{ status: 'fulfilled', value: 3 }]);
  });

  it('rejects the items a batch left without an answer', async () => {
    const batcher = batchWindow(async (items: number[]) => items.slice(0, 1), 1);
    const outcomes = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    expect(outcomes).toMatchObject([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: { code: 'JobStoreError', message: 'a batch of 2 got 1 answers' } },
    ]);
  });
});
