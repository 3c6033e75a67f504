/**
 * The sweep's commit window: commits asked for within COMMIT_WINDOW_MS of each other go to the store
 * together. The Redis store sends the commits started in one tick as one script call, one socket write
 * (ioredis's own auto-pipelining is off: it has nothing left to batch); the window gathers into one tick
 * the commits of the polls that end within a few milliseconds of each other. A socket write per job is a
 * large share of a sweep's CPU (bench/sweep.bench.ts).
 *
 * All of the sweep's commit batching is here: `sweep` takes its commits from `coalescedCommit`, and the
 * bench's floor (bench/support/floorProcess.ts) uses the same window.
 */
import type { JobStore } from './jobStore.ts';

/** How long commits wait to go out together. */
export const COMMIT_WINDOW_MS = 5;

/** The store's `commit`, its calls gathered into COMMIT_WINDOW_MS windows. */
export function coalescedCommit(store: JobStore): JobStore['commit'] {
  return coalesce(store.commit.bind(store), COMMIT_WINDOW_MS);
}

/**
 * Wraps `run` so that calls made within `windowMs` of each other are all started in the same tick, each
 * with its own result (or rejection).
 */
export function coalesce<A extends unknown[], R>(run: (...args: A) => Promise<R>, windowMs: number) {
  let waiting: { args: A; resolve: (value: Promise<R>) => void }[] = [];
  const flush = () => {
    const batch = waiting;
    waiting = [];
    for (const { args, resolve } of batch) resolve(run(...args));
  };
  return (...args: A): Promise<R> =>
    new Promise<R>((resolve) => {
      if (waiting.length === 0) setTimeout(flush, windowMs);
      waiting.push({ args, resolve });
    });
}
