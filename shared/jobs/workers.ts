/**
 * How the sweep schedules its work, apart from what the work is: workers that drain what is claimed
 * (`claimAndWork`), and lanes of their own for slower work beside them (`lanes`).
 */

/** A chunk of claimed items, and whether there may be more to claim. */
export interface Claimed<T> {
  items: T[];
  more: boolean;
}

/**
 * Runs `work` on the items `claim` hands out, `workers` at a time. Claims run one at a time, a chunk at a
 * time, when the workers have drained what was claimed, until a claim says there is no more. A worker
 * starts an item (or a claim) only while `mayStart()`; what was claimed but never started is handed back.
 * `work` must not reject; a claim that rejects rejects the whole.
 */
export async function claimAndWork<T>(options: {
  workers: number;
  claim: () => Promise<Claimed<T>>;
  work: (item: T) => Promise<void>;
  mayStart: () => boolean;
}): Promise<T[]> {
  const { claim, work, mayStart } = options;
  const queue: T[] = [];
  let more = true;
  let claiming: Promise<void> | undefined;
  const claimMore = async () => {
    const claimed = await claim();
    more = claimed.more;
    queue.push(...claimed.items);
  };
  const worker = async () => {
    while (mayStart()) {
      if (queue.length > 0) {
        await work(queue.shift() as T);
        continue;
      }
      if (!more) return;
      claiming ??= claimMore().finally(() => {
        claiming = undefined;
      });
      await claiming;
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
  return queue.splice(0);
}

/**
 * Runs `run` on the items added, at most `slots` at a time, starting one only while `canStart()`.
 * `drain` waits for the runs under way (which start more while they may) and hands back the items never
 * started. `run` must not reject.
 */
export function lanes<T>(slots: number, run: (item: T) => Promise<void>, canStart: () => boolean) {
  const waiting: T[] = [];
  const running = new Set<Promise<void>>();
  const startWhatFits = () => {
    while (running.size < slots && waiting.length > 0 && canStart()) {
      const task: Promise<void> = run(waiting.shift() as T).finally(() => {
        running.delete(task);
        startWhatFits();
      });
      running.add(task);
    }
  };
  return {
    add(item: T): void {
      waiting.push(item);
      startWhatFits();
    },
    async drain(): Promise<T[]> {
      while (running.size > 0) await Promise.race(running);
      return waiting.splice(0);
    },
  };
}
