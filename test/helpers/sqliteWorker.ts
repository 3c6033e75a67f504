/**
 * A sweeper in a process of its own, for the multi-process test of the SQLite store
 * (test/unit/shared/stores/sqliteStore.test.ts). Run with `fork(this file, [dbPath, owner],
 * { execArgv: ['--import', 'tsx'] })`: it opens its own connection, says `ready`, waits for `go` so that
 * every process starts racing at once, then claims and commits (pausing between the two, as polling
 * would) until nothing is due, and sends the ids it committed.
 */
import { createSqliteStore } from '#shared/stores/sqliteStore.ts';

export type WorkerMessage = { type: 'ready' } | { type: 'done'; ids: string[] };

const [path, owner] = process.argv.slice(2);
if (!path || !owner || !process.send) throw new Error('usage: fork(sqliteWorker.ts, [dbPath, owner])');
const send = (message: WorkerMessage) => process.send?.(message);

const store = await createSqliteStore({ path });
send({ type: 'ready' });
await new Promise((resolve) => process.once('message', resolve));

const ids: string[] = [];
for (;;) {
  // Small batches, so the processes take turns many times.
  const batch = await store.claimDue({ owner, now: 1_000, limit: 5, leaseMs: 600_000 });
  if (batch.length === 0) break;
  await new Promise((resolve) => setTimeout(resolve, 1)); // the "polling": the others claim meanwhile
  for (const job of batch) {
    if (await store.commit(job, owner, { state: 'succeeded', nextPollAt: null })) ids.push(job.id);
  }
}
await store.close();
send({ type: 'done', ids });
process.disconnect();
