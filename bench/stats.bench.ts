/**
 * `npm run bench:stats`: what `GET /stats` costs the job store, with 100,000 tracked jobs (`JOBS`) of
 * every state (most ended, a tenth pending, some of those leased), on the embedded SQLite store and on
 * Redis (`REDIS_URL`, or a throwaway redis-server). For each: the median and the slowest of 20 `stats()`
 * calls after a warm-up. For Redis also the one-time rebuild of its counts, which a store whose jobs
 * predate them pays on its first `stats()`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usageIfAsked } from '#local/cli/cliSupport.ts';
import type { JobChanges, JobStore, TrackedJob } from '#shared/jobs/jobStore.ts';
import { createRedisStore } from '#shared/stores/redis/store.ts';
import { createSqliteStore } from '#shared/stores/sqliteStore.ts';
import { startRedis, uniquePrefix } from '#test/helpers/redisServer.ts';

usageIfAsked(`usage: npm run bench:stats

What GET /stats costs the job store, on SQLite and on Redis, with many tracked jobs (bench/README.md).
  JOBS       tracked jobs (default 100000)
  REDIS_URL  a Redis to use (default: one started for the bench)`);

const JOBS = Number(process.env.JOBS ?? 100_000);
const RUNS = 20;
const T0 = Date.UTC(2026, 10, 25);
const LEASE = 600_000;

/** What becomes of job `i`: most succeed, some fail or are given up, a tenth stay pending. */
function fate(i: number): JobChanges {
  const finishedAt = T0 + 10_000 + (i % 600) * 1_000;
  const roll = i % 100;
  // Due again after the fill's claims (at T0 + 1 s), by the time stats are asked (T0 + 3 s) for half.
  if (roll < 10) return { attempts: 1, nextPollAt: T0 + (roll < 5 ? 1_500 : 60_000) };
  if (roll < 95) return { state: 'succeeded', finishedAt, notification: 'sent', nextPollAt: null };
  if (roll < 98) return { state: 'failed', finishedAt, notification: 'failed', nextPollAt: null };
  return { state: 'gave_up', finishedAt, notification: 'pending', nextPollAt: T0 + 1_500 };
}

/** Tracks JOBS jobs, sweeps each once to its fate, and leases a few of the pending ones again. */
async function fill(store: JobStore, parallel: number): Promise<void> {
  const ids = Array.from({ length: JOBS }, (_, i) => `bench-${String(i).padStart(7, '0')}`);
  for (let i = 0; i < ids.length; i += parallel) {
    await Promise.all(
      ids.slice(i, i + parallel).map((id, j) => store.track({ id, now: T0 + ((i + j) % 1000) })),
    );
  }
  for (;;) {
    const batch = await store.claimDue({ owner: 'bench', now: T0 + 1_000, limit: 1_000, leaseMs: LEASE });
    if (batch.length === 0) break;
    await Promise.all(
      batch.map((job: TrackedJob) => store.commit(job, 'bench', fate(Number(job.id.slice(6))))),
    );
  }
  await store.claimDue({ owner: 'held', now: T0 + 2_000, limit: 100, leaseMs: LEASE });
  for (let n = 0; n < 20; n++) {
    await store.recordSweep({
      startedAt: T0 + n * 60_000,
      durationMs: 800,
      claimed: 40,
      succeeded: 30,
      failed: 1,
      gaveUp: 0,
      rescheduled: 9,
      notified: 31,
      notifyFailed: 0,
      throttled: 2,
      errors: { UpstreamThrottled: 2 },
    });
  }
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function measure(name: string, store: JobStore): Promise<void> {
  const now = T0 + 3_000;
  for (let i = 0; i < 3; i++) await store.stats(now);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await time(() => store.stats(now)));
  times.sort((a, b) => a - b);
  const stats = await store.stats(now);
  console.log(
    `stats.${name}: median ${times[RUNS / 2]?.toFixed(2)} ms, slowest ${times.at(-1)?.toFixed(2)} ms ` +
      `(${JOBS} jobs: ${JSON.stringify(stats.jobs)}, due ${stats.dueNow}, ${stats.finishTimesMs.length} finish times)`,
  );
}

// SQLite, on a RAM disk where there is one: every write is fsynced, and filling is not what is measured.
const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const dir = mkdtempSync(join(base, 'bench-stats-'));
try {
  const sqlite = await createSqliteStore({ path: join(dir, 'jobs.db') });
  let filled = await time(() => fill(sqlite, 1));
  console.log(`filled SQLite in ${(filled / 1000).toFixed(1)} s`);
  await measure('sqlite', sqlite);
  await sqlite.close();

  const server = await startRedis();
  const prefix = uniquePrefix('bench-stats');
  const redis = createRedisStore({ url: server.url, prefix });
  try {
    filled = await time(() => fill(redis, 500));
    console.log(`filled Redis in ${(filled / 1000).toFixed(1)} s`);
    await measure('redis', redis);
    const { Redis } = await import('ioredis');
    const client = new Redis(server.url);
    await client.del(`${prefix}notifications`, `${prefix}pending-since`, `${prefix}finished`);
    const rebuild = await time(() => redis.stats(T0 + 3_000));
    console.log(
      `stats.redis.rebuild: ${rebuild.toFixed(0)} ms once, for ${JOBS} jobs tracked before the counts`,
    );
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    client.disconnect();
  } finally {
    await redis.close();
    await server.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
