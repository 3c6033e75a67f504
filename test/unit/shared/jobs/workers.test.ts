import { describe, expect, it } from 'vitest';
import { type Claimed, claimAndWork, lanes } from '#shared/jobs/workers.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('claimAndWork', () => {
  /** Claims `chunk` numbers at a time from 1..total, recording each claim and how many ran at once. */
  function source(total: number, chunk: number) {
    let next = 1;
    let claiming = 0;
    const seen = { claims: 0, peakClaims: 0 };
    return {
      seen,
      claim: async (): Promise<Claimed<number>> => {
        seen.claims++;
        seen.peakClaims = Math.max(seen.peakClaims, ++claiming);
        await pause(1);
        claiming--;
        const items = Array.from({ length: Math.min(chunk, total - next + 1) }, () => next++);
        return { items, more: items.length === chunk };
      },
    };
  }

  it('works through every claimed item, `workers` at a time, one claim at a time, until a claim says no more', async () => {
    const { claim, seen } = source(25, 4);
    const done: number[] = [];
    let running = 0;
    let peak = 0;
    const unstarted = await claimAndWork({
      workers: 3,
      claim,
      work: async (n) => {
        peak = Math.max(peak, ++running);
        await pause(1);
        running--;
        done.push(n);
      },
      mayStart: () => true,
    });
    expect(unstarted).toEqual([]);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(peak).toBe(3);
    expect(seen).toEqual({ claims: 7, peakClaims: 1 }); // 6 full chunks, then the one that ends it
  });

  it('starts nothing once it may not, and hands back what was claimed but never started', async () => {
    const { claim, seen } = source(100, 10);
    const done: number[] = [];
    const unstarted = await claimAndWork({
      workers: 2,
      claim,
      work: async (n) => {
        done.push(n);
      },
      mayStart: () => done.length < 3,
    });
    expect(done).toEqual([1, 2, 3]);
    expect(unstarted).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(seen.claims).toBe(1);
  });

  it('rejects when a claim does', async () => {
    const work = claimAndWork({
      workers: 2,
      claim: async () => {
        throw new Error('store down');
      },
      work: async () => {},
      mayStart: () => true,
    });
    await expect(work).rejects.toThrow('store down');
  });
});

describe('lanes', () => {
  it('runs at most `slots` at a time, starts none once it may not, and hands back what never started', async () => {
    let open = true;
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    const lane = lanes(
      2,
      async (n: number) => {
        peak = Math.max(peak, ++running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        done.push(n);
        if (n === 3) open = false;
      },
      () => open,
    );
    for (const n of [1, 2, 3, 4, 5, 6]) lane.add(n);
    expect(await lane.drain()).toEqual([5, 6]);
    expect(done.sort()).toEqual([1, 2, 3, 4]);
    expect(peak).toBe(2);
  });
});
