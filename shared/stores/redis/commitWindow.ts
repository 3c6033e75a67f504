/**
 * The commit window: commits asked for within COMMIT_WINDOW_MS of each other go to the store together.
 * Why: a sweep commits every job it polls, and a socket write and a script call per job are a large
 * share of a sweep's CPU (bench/sweep.bench.ts, README "Performance"). The polls of a sweep end a few
 * milliseconds apart, so the Redis store (shared/stores/redis/store.ts) gathers the commits of each
 * window into one script call. The memory and SQLite stores commit at once: they have no round trip to
 * save. The bench's floor (bench/support/floorProcess.ts) stores in the same windows.
 *
 * Who waits for it: only the sweep commits (the query function tracks, untracks and requeues, which are
 * not batched), and it does not wait for its commits as it polls, so the window costs a sweep at most
 * COMMIT_WINDOW_MS at its end.
 */
import { AppError } from '#shared/errors.ts';

/** How long commits wait to go out together. */
export const COMMIT_WINDOW_MS = 5;

/**
 * Gathers the items added within `windowMs` of the first and hands them to `run` together when the
 * window closes; each `add` gets the result at its item's index, or the batch's rejection.
 */
export function batchWindow<I, O>(
  run: (items: I[]) => Promise<O[]>,
  windowMs: number,
): { add(item: I): Promise<O> } {
  let waiting: { item: I; resolve: (result: O) => void; reject: (error: unknown) => void }[] = [];
  const flush = () => {
    const batch = waiting;
    waiting = [];
    run(batch.map(({ item }) => item)).then(
      (results) => {
        batch.forEach(({ resolve, reject }, i) => {
          if (i < results.length) resolve(results[i] as O);
          else
            reject(new AppError('JobStoreError', `a batch of ${batch.length} got ${results.length} answers`));
        });
      },
      (error: unknown) => {
        for (const { reject } of batch) reject(error);
      },
    );
  };
  return {
    add: (item) =>
      new Promise((resolve, reject) => {
        if (waiting.length === 0) setTimeout(flush, windowMs);
        waiting.push({ item, resolve, reject });
      }),
  };
}
