/**
 * What is particular to the Redis store; the shared behaviour is the contract suite's
 * (test/contract/redisStore.test.ts). Runs against a throwaway redis-server (or REDIS_URL).
 */
import { createServer, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError, ConfigError } from '#shared/errors.ts';
import type { JobChanges, JobStore, TrackedJob, TrackedState } from '#shared/jobs/jobStore.ts';
import { NOTIFICATION_STATES, type StoreUnavailableError, TRACKED_STATES } from '#shared/jobs/jobStore.ts';
import { createMemoryStore } from '#shared/stores/memoryStore.ts';
import {
  type CorruptJob,
  createRedisStore,
  DEFAULT_PREFIX,
  type RedisStoreOptions,
} from '#shared/stores/redis/store.ts';
import {
  deleteKeys,
  freePort,
  type RedisServer,
  startRedis,
  uniquePrefix,
} from '#test/helpers/redisServer.ts';
import { sampleSweep } from '#test/helpers/sweepRecord.ts';

const T0 = Date.UTC(2026, 10, 25);
const LEASE = 60_000;
const SWEEP = sampleSweep(T0);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('createRedisStore', () => {
  it('checks the URL when the store is created', () => {
    expect(() => createRedisStore({ url: 'memcached://host' })).toThrow(ConfigError);
  });
});

describe('on a Redis server', () => {
  let server: RedisServer;
  let redis: Redis;
  let prefix: string;
  const stores: JobStore[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const used of prefixes.splice(0)) await deleteKeys(server.url, used);
  });

  function open(options: Partial<RedisStoreOptions> = {}): JobStore {
    prefix = options.prefix ?? uniquePrefix('redis-store');
    prefixes.push(prefix);
    const store = createRedisStore({ url: server.url, ...options, prefix });
    stores.push(store);
    return store;
  }

  async function claimOne(store: JobStore, now = T0): Promise<TrackedJob> {
    const [job] = await store.claimDue({ owner: 's1', now, limit: 1, leaseMs: LEASE });
    if (!job) throw new Error('nothing claimed');
    return job;
  }

  describe('data', () => {
    it('round-trips every field exactly: 13-digit epoch ms, big and fractional numbers, Unicode, nesting', async () => {
      const store = open();
      const T = 1_795_564_800_123;
      const { job: tracked } = await store.track({
        id: 'precise',
        notify: { type: 'fc2', service: 'svc-中文', name: 'done', qualifier: 'LATEST' },
        now: T,
      });
      expect(tracked).toMatchObject({ firstSeenAt: T, nextPollAt: T, images: [] });
      expect(await store.get('precise')).toEqual(tracked);

      const job = await claimOne(store, T);
      expect(job.leaseExpiresAt).toBe(T + LEASE);
      const changes: JobChanges = {
        state: 'succeeded',
        status: 'FINISHED',
        attempts: 2 ** 31,
        lastPolledAt: T + 1,
        nextPollAt: 9_007_199_254_740_991,
        lastError: 'line 1\nline 2 "quoted" \\ 😀 \u0000 \u2028',
        images: ['0000.png', '图像 1.png'],
        finishedAt: 1_795_564_800_123.5,
        reason: '',
        notification: 'pending',
        notifyAttempts: 0.1 + 0.2,
        notify: { type: 'webhook', url: 'https://hooks.example.test/a?b=c&d=%20' },
      };
      const saved = await store.commit(job, 's1', changes);
      const expected = { ...job, ...changes, leaseOwner: null, leaseExpiresAt: null, version: 2 };
      expect(saved).toEqual(expected);
      expect(await store.get('precise')).toEqual(expected);

      // And as Redis holds them: exact decimal text, no exponent, no rounding.
      const key = `${prefix}job:precise`;
      expect(await redis.hget(key, 'lastPolledAt')).toBe('1795564800124');
      expect(await redis.hget(key, 'finishedAt')).toBe('1795564800123.5');
      expect(await redis.zscore(`${prefix}due`, 'precise')).toBe('9007199254740991');

      // An empty array stays an array after a commit (no cjson on the way).
      const again = await claimOne(store, 9_007_199_254_740_991);
      expect(await store.commit(again, 's1', { images: [] })).toMatchObject({ images: [] });
    });

    it('lays out readable keys: one hash per job, due / leased / state sets, what stats read', async () => {
      const store = open();
      await store.track({ id: 'job-1', now: T0 });
      await store.track({ id: '中文', now: T0 + 1 });
      expect((await redis.keys(`${prefix}*`)).sort()).toEqual(
        [
          `${prefix}due`,
          `${prefix}job:job-1`,
          `${prefix}job:中文`,
          `${prefix}state:pending`,
          `${prefix}notifications`,
          `${prefix}pending-since`,
        ].sort(),
      );
      expect(await redis.hgetall(`${prefix}notifications`)).toEqual({ counted: '1', none: '2' });
      expect(await redis.zrange(`${prefix}pending-since`, 0, -1, 'WITHSCORES')).toEqual([
        'job-1',
        String(T0),
        '中文',
        String(T0 + 1),
      ]);
      expect(await redis.hgetall(`${prefix}job:job-1`)).toMatchObject({
        id: '"job-1"',
        state: '"pending"',
        nextPollAt: String(T0),
        leaseOwner: 'null',
        images: '[]',
        version: '0',
      });
      expect(await redis.zrange(`${prefix}due`, 0, -1, 'WITHSCORES')).toEqual([
        'job-1',
        String(T0),
        '中文',
        String(T0 + 1),
      ]);

      const job = await claimOne(store);
      expect(await redis.zrange(`${prefix}leased`, 0, -1, 'WITHSCORES')).toEqual([
        'job-1',
        String(T0 + LEASE),
      ]);
      await store.commit(job, 's1', { state: 'failed', finishedAt: T0 + 9, nextPollAt: null });
      expect(await redis.exists(`${prefix}leased`)).toBe(0);
      expect(await redis.zrange(`${prefix}due`, 0, -1)).toEqual(['中文']);
      expect(await redis.zrange(`${prefix}state:failed`, 0, -1)).toEqual(['job-1']);
      expect(await redis.zrange(`${prefix}state:pending`, 0, -1)).toEqual(['中文']);
      expect(await redis.zrange(`${prefix}pending-since`, 0, -1)).toEqual(['中文']);
      expect(await redis.zrange(`${prefix}finished`, 0, -1, 'WITHSCORES')).toEqual(['job-1', String(T0 + 9)]);

      await store.recordSweep({ ...SWEEP, startedAt: T0 });
      expect(await redis.lrange(`${prefix}sweeps`, 0, -1)).toEqual([
        JSON.stringify({ ...SWEEP, startedAt: T0 }),
      ]);
      await store.untrack('job-1');
      expect(await redis.exists(`${prefix}job:job-1`, `${prefix}state:failed`, `${prefix}finished`)).toBe(0);
      expect(await redis.hgetall(`${prefix}notifications`)).toEqual({ counted: '1', none: '1' });
    });

    it('rebuilds what stats read, once, for jobs tracked before the store kept it', async () => {
      const store = open();
      const memory = createMemoryStore();
      for (const each of [store, memory]) {
        for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) await each.track({ id, now: T0 + i });
        const [a, b] = await each.claimDue({ owner: 's1', now: T0 + 10, limit: 2, leaseMs: LEASE });
        await each.commit(a as TrackedJob, 's1', {
          state: 'succeeded',
          finishedAt: T0 + 5_000,
          nextPollAt: null,
        });
        await each.commit(b as TrackedJob, 's1', {
          state: 'failed',
          finishedAt: T0 + 9_000,
          notification: 'sent',
          nextPollAt: null,
        });
      }
      const expected = await memory.stats(T0 + 20);
      // As the code before them left a store: no counts, no pending-since or finished sets.
      await redis.del(`${prefix}notifications`, `${prefix}pending-since`, `${prefix}finished`);
      await store.track({ id: 'e', now: T0 + 20 }); // tracked meanwhile: no reason to take the counts as whole
      await memory.track({ id: 'e', now: T0 + 20 });
      const rebuilt = await store.stats(T0 + 20);
      expect(rebuilt).toEqual(await memory.stats(T0 + 20));
      expect(rebuilt.finishTimesMs).toEqual([8_999, 5_000]);
      expect(rebuilt.jobs.pending).toBe(expected.jobs.pending + 1);
      expect(await redis.hgetall(`${prefix}notifications`)).toEqual({ counted: '1', none: '4', sent: '1' });
      // Counted from then on by the writes themselves.
      await store.untrack('c');
      await memory.untrack('c');
      expect(await store.stats(T0 + 30)).toEqual(await memory.stats(T0 + 30));
    });

    it('reads a job stored before a field was added with that field’s default, and writes it later', async () => {
      const store = open();
      await store.track({ id: 'old', now: T0 });
      await redis.hdel(`${prefix}job:old`, 'notFoundCount'); // as the code before the field wrote it
      expect(await store.get('old')).toMatchObject({ id: 'old', notFoundCount: 0 });
      const [job] = await store.claimDue({ owner: 's1', now: T0, limit: 1, leaseMs: LEASE });
      expect(job).toMatchObject({ notFoundCount: 0 });
      await store.commit(job as TrackedJob, 's1', { notFoundCount: 1 });
      expect(await redis.hget(`${prefix}job:old`, 'notFoundCount')).toBe('1');
    });

    it('keeps ids apart that differ only in lone surrogates, and pages in JavaScript order', async () => {
      const store = open();
      const memory = createMemoryStore();
      const ids = ['a\uD800', 'a\uDC00', 'a\uFFFD', '😀', '\uE000', '\uFFFF', 'z', 'x'.repeat(256), '中'];
      for (const [i, id] of ids.entries()) {
        await store.track({ id, now: T0 + i });
        await memory.track({ id, now: T0 + i });
      }
      for (const id of ids) expect(await store.get(id)).toMatchObject({ id });
      const pages = async (target: JobStore) => {
        const seen: string[][] = [];
        let cursor: string | undefined;
        do {
          const page = await target.list({ state: 'pending', limit: 2, cursor });
          seen.push(page.jobs.map((job) => job.id));
          cursor = page.cursor ?? undefined;
        } while (cursor);
        return seen;
      };
      expect(await pages(store)).toEqual(await pages(memory));
      expect((await pages(store)).flat()).toEqual([...ids].sort());
    });

    it('keeps deployments with different prefixes apart on one server', async () => {
      const a = open();
      const b = open();
      await a.track({ id: 'same', now: T0 });
      expect(await b.get('same')).toBeNull();
      expect(await b.claimDue({ owner: 'b', now: T0, limit: 10, leaseMs: LEASE })).toEqual([]);
      expect(await a.claimDue({ owner: 'a', now: T0, limit: 10, leaseMs: LEASE })).toHaveLength(1);
    });
  });

  describe('same behaviour as the memory store', () => {
    async function both(run: (store: JobStore) => Promise<unknown>): Promise<void> {
      expect(await run(open())).toEqual(await run(createMemoryStore()));
    }

    it('claims a job whose lease expired by its nextPollAt, not by its lease expiry', async () => {
      await both(async (store) => {
        await store.track({ id: 'crashed', now: T0 });
        await store.claimDue({ owner: 'killed', now: T0, limit: 1, leaseMs: LEASE });
        await store.track({ id: 'later', now: T0 + 1_000 });
        return store.claimDue({ owner: 's', now: T0 + LEASE, limit: 1, leaseMs: LEASE });
      });
    });

    it('does not hand out a lease that is live on the caller’s clock, though a faster clock freed it', async () => {
      await both(async (store) => {
        await store.track({ id: 'leased', now: T0 });
        await store.claimDue({ owner: 'a', now: T0, limit: 1, leaseMs: LEASE });
        await store.track({ id: 'first', now: T0 - 10 });
        await store.track({ id: 'third', now: T0 + 10 });
        // A sweeper whose clock reads T0 + LEASE frees the lease but takes only the earliest job…
        const fast = await store.claimDue({ owner: 'fast', now: T0 + LEASE, limit: 1, leaseMs: LEASE });
        // …and one whose clock is a second behind must not take the leased job, yet gets the next one.
        const slow = await store.claimDue({
          owner: 'slow',
          now: T0 + LEASE - 1_000,
          limit: 5,
          leaseMs: LEASE,
        });
        const later = await store.claimDue({ owner: 'late', now: T0 + LEASE, limit: 5, leaseMs: LEASE });
        return { fast, slow, later };
      });
    });

    it('ignores the fields a commit may not change', async () => {
      await both(async (store) => {
        await store.track({ id: 'a', now: T0 });
        const job = await claimOne(store);
        const sneaky = { attempts: 1, id: 'b', version: 99, leaseOwner: 'x', leaseExpiresAt: 5 };
        return store.commit(job, 's1', { ...sneaky, id: 'a' } as unknown as JobChanges);
      });
    });

    it('agrees on random sequences of operations and clocks that disagree', async () => {
      const ids = ['a', 'b', '中文', '😀', 'x/y', 'z'];
      const idIndex = fc.integer({ min: 0, max: ids.length - 1 });
      const step = fc.integer({ min: 0, max: 8 });
      const op = fc.oneof(
        fc.record({ kind: fc.constant('track' as const), id: idIndex, step }),
        fc.record({
          kind: fc.constant('claim' as const),
          owner: fc.integer({ min: 0, max: 2 }),
          step,
          limit: fc.integer({ min: 0, max: 2 }),
          lease: fc.integer({ min: 0, max: 6 }),
        }),
        fc.record({
          kind: fc.constant('commit' as const),
          recent: fc.nat(3),
          asOwner: fc.boolean(),
          next: fc.option(step, { nil: null }),
          state: fc.option(fc.constantFrom(...TRACKED_STATES), { nil: undefined }),
          notification: fc.option(fc.constantFrom(...NOTIFICATION_STATES), { nil: undefined }),
          finished: fc.option(fc.option(step, { nil: null }), { nil: undefined }),
          attempts: fc.nat(100),
        }),
        fc.record({ kind: fc.constant('list' as const), limit: fc.integer({ min: 1, max: 3 }) }),
        fc.record({ kind: fc.constant('get' as const), id: idIndex }),
        fc.record({ kind: fc.constant('untrack' as const), id: idIndex }),
        fc.record({ kind: fc.constant('requeue' as const), id: idIndex, step }),
        fc.record({ kind: fc.constant('stats' as const), step }),
      );
      // Times are tie-free (a job's are ≡ its index mod 1000), since ties are claimed in a different order.
      const at = (stepNumber: number, id: number) => T0 + stepNumber * 1_000 + id;

      async function play(
        store: JobStore,
        ops: (typeof op extends fc.Arbitrary<infer T> ? T : never)[],
      ): Promise<unknown[]> {
        const results: unknown[] = [];
        const claimed: TrackedJob[] = [];
        for (const o of ops) {
          if (o.kind === 'track') {
            results.push(await store.track({ id: ids[o.id] as string, now: at(o.step, o.id) }));
          } else if (o.kind === 'claim') {
            const jobs = await store.claimDue({
              owner: `s${o.owner}`,
              now: T0 + o.step * 1_000 + 500,
              limit: o.limit,
              leaseMs: o.lease * 1_000,
            });
            claimed.push(...jobs);
            results.push(jobs);
          } else if (o.kind === 'commit') {
            // Mostly one of the latest claims, which may still hold; sometimes a stale one.
            const job = claimed[claimed.length - 1 - (o.recent % Math.max(1, claimed.length))];
            if (!job) continue;
            const index = ids.indexOf(job.id);
            const changes: JobChanges = {
              attempts: o.attempts,
              nextPollAt: o.next === null ? null : at(o.next, index),
              ...(o.state ? { state: o.state as TrackedState } : {}),
              ...(o.notification ? { notification: o.notification } : {}),
              ...(o.finished === undefined
                ? {}
                : { finishedAt: o.finished === null ? null : at(o.finished, index) }),
            };
            results.push(await store.commit(job, o.asOwner ? (job.leaseOwner ?? '') : 'intruder', changes));
          } else if (o.kind === 'untrack') {
            results.push(await store.untrack(ids[o.id] as string));
          } else if (o.kind === 'requeue') {
            results.push(await store.requeueNotification({ id: ids[o.id] as string, now: at(o.step, o.id) }));
          } else if (o.kind === 'stats') {
            // Due now aside: the clocks here disagree on purpose, and Redis counts the due set as it is.
            const { dueNow: _, ...stats } = await store.stats(T0 + o.step * 1_000 + 500);
            results.push({ ...stats, finishTimesMs: stats.finishTimesMs.sort((a, b) => a - b) });
          } else if (o.kind === 'list') {
            for (const state of TRACKED_STATES) {
              let cursor: string | undefined;
              do {
                const page = await store.list({ state, limit: o.limit, cursor });
                results.push(page);
                cursor = page.cursor ?? undefined;
              } while (cursor);
            }
          } else {
            results.push(await store.get(ids[o.id] as string));
          }
        }
        return results;
      }

      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 50, size: 'max' }), async (ops) => {
          const redisStore = open();
          try {
            expect(await play(redisStore, ops)).toEqual(await play(createMemoryStore(), ops));
          } finally {
            await redisStore.close();
            await deleteKeys(server.url, prefix);
          }
        }),
        { numRuns: 150 },
      );
    }, 60_000);
  });

  describe('corrupt data', () => {
    function openReporting() {
      const problems: CorruptJob[] = [];
      const store = open({ onCorrupt: (problem) => problems.push(problem) });
      return { store, problems };
    }

    it('claimDue skips and reports corrupt jobs, sets them aside, and claims the others', async () => {
      const { store, problems } = openReporting();
      for (const id of ['good-1', 'string', 'garbled', 'partial', 'bad-state', 'good-2']) {
        await store.track({ id, now: T0 });
      }
      await redis.del(`${prefix}job:string`);
      await redis.set(`${prefix}job:string`, 'garbage');
      await redis.hset(`${prefix}job:garbled`, 'attempts', '{not json');
      await redis.hdel(`${prefix}job:partial`, 'notify');
      await redis.hset(`${prefix}job:bad-state`, 'state', '"exploded"');

      const claimed = await store.claimDue({ owner: 's1', now: T0, limit: 10, leaseMs: LEASE });
      expect(claimed.map((job) => job.id)).toEqual(['good-1', 'good-2']);
      expect(problems.map((problem) => problem.id).sort()).toEqual([
        'bad-state',
        'garbled',
        'partial',
        'string',
      ]);
      expect(problems.find((problem) => problem.id === 'string')).toMatchObject({
        key: `${prefix}job:string`,
        reason: expect.stringContaining('WRONGTYPE'),
      });
      expect(problems.find((problem) => problem.id === 'garbled')?.reason).toMatch(/unparsable/);
      expect(problems.find((problem) => problem.id === 'partial')?.reason).toBe('missing fields');
      expect((await redis.zrange(`${prefix}corrupt`, 0, -1)).sort()).toEqual([
        'bad-state',
        'garbled',
        'partial',
        'string',
      ]);
      expect(await redis.zrange(`${prefix}due`, 0, -1)).toEqual([]);

      // Set aside: they do not come back, even once the leases expire.
      problems.length = 0;
      const later = await store.claimDue({ owner: 's1', now: T0 + 10 * LEASE, limit: 10, leaseMs: LEASE });
      expect(later.map((job) => job.id)).toEqual(['good-1', 'good-2']);
      expect(problems).toEqual([]);
    });

    it('get and track reject a corrupt job with JobStoreCorrupt; commit answers null; list skips it', async () => {
      const { store, problems } = openReporting();
      await store.track({ id: 'ok', now: T0 });
      await store.track({ id: 'bad', now: T0 });
      const job = await store.claimDue({ owner: 's1', now: T0, limit: 10, leaseMs: LEASE });
      await redis.hset(`${prefix}job:bad`, 'version', 'seven');

      for (const attempt of [store.get('bad'), store.track({ id: 'bad', now: T0 })]) {
        const error = await rejection(attempt);
        expect(error).toBeInstanceOf(AppError);
        expect(error).toMatchObject({ code: 'JobStoreCorrupt' });
        expect(error.message).toContain(`${prefix}job:bad`);
      }
      const bad = job.find((claimedJob) => claimedJob.id === 'bad') as TrackedJob;
      expect(await store.commit(bad, 's1', { attempts: 1 })).toBeNull();
      expect((await store.list({ state: 'pending', limit: 10 })).jobs.map((listed) => listed.id)).toEqual([
        'ok',
      ]);
      expect(problems.map((problem) => [problem.id, problem.reason])).toEqual([
        ['bad', 'bad version'],
        ['bad', 'bad version'],
      ]);
    });

    it('drops members whose job is gone, quietly', async () => {
      const { store, problems } = openReporting();
      await redis.zadd(`${prefix}due`, T0, 'ghost');
      await redis.zadd(`${prefix}leased`, T0, 'ghost-2');
      await store.track({ id: 'real', now: T0 + 1 });
      const claimed = await store.claimDue({ owner: 's1', now: T0 + 1, limit: 10, leaseMs: LEASE });
      expect(claimed.map((job) => job.id)).toEqual(['real']);
      expect(await redis.zrange(`${prefix}due`, 0, -1)).toEqual([]);
      expect(await redis.zrange(`${prefix}leased`, 0, -1)).toEqual(['real']);
      expect(problems).toEqual([]);
    });

    it('reports to a warn log line by default', async () => {
      const writes: string[] = [];
      const spy = (chunk: string | Uint8Array) => {
        writes.push(String(chunk));
        return true;
      };
      const original = process.stdout.write;
      const store = open();
      await store.track({ id: 'x', now: T0 });
      await redis.hset(`${prefix}job:x`, 'images', 'nope');
      process.stdout.write = spy as typeof process.stdout.write;
      try {
        expect(await store.claimDue({ owner: 's', now: T0, limit: 1, leaseMs: LEASE })).toEqual([]);
      } finally {
        process.stdout.write = original;
      }
      const line = JSON.parse(writes.find((text) => text.includes('corrupt')) ?? '{}');
      expect(line).toMatchObject({ level: 'warn', id: 'x', reason: expect.stringMatching(/unparsable/) });
    });
  });

  it('takes an undefined change as no change (the memory store would store undefined)', async () => {
    const store = open();
    await store.track({ id: 'a', now: T0 });
    const job = await claimOne(store);
    expect(await store.commit(job, 's1', { status: undefined, attempts: 1 })).toMatchObject({
      status: '',
      attempts: 1,
    });
  });

  it('refuses to commit values that could not be read back, before writing anything', async () => {
    const store = open();
    await store.track({ id: 'a', now: T0 });
    const job = await claimOne(store);
    for (const changes of [
      { state: 'exploded' },
      { nextPollAt: Number.NaN },
      { attempts: '3' },
      { images: [1] },
      { notify: 'fn' },
    ]) {
      await expect(store.commit(job, 's1', changes as unknown as JobChanges)).rejects.toThrow(TypeError);
    }
    expect(await store.get('a')).toEqual(job);
  });

  describe('commits of one window, sent as one script call', () => {
    it('are each their own compare-and-set: a lost or corrupt one leaves the others done', async () => {
      const store = open();
      for (const id of ['a', 'b', 'c', 'd', 'e']) await store.track({ id, now: T0 });
      const [a, b, c, d, e] = await store.claimDue({ owner: 's1', now: T0, limit: 5, leaseMs: LEASE });
      if (!a || !b || !c || !d || !e) throw new Error('expected five claimed jobs');
      await store.commit(e, 's1', {}); // the script is loaded: from now on one call each time
      await redis.hset(`${prefix}job:d`, 'state', 'exploded');
      const scriptCalls = async () => {
        const stats = await redis.info('commandstats');
        return [...stats.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce(
          (sum, [, n]) => sum + Number(n),
          0,
        );
      };
      const before = await scriptCalls();
      const results = await Promise.all([
        store.commit(a, 's1', { state: 'succeeded', nextPollAt: null }),
        store.commit(b, 'intruder', { attempts: 9 }),
        store.commit({ ...c, version: c.version - 1 }, 's1', { attempts: 9 }),
        store.commit(c, 's1', { attempts: 1, nextPollAt: T0 + 5, lastError: 'sep\u001fara\u001etors' }),
        store.commit(d, 's1', { attempts: 1 }),
      ]);
      expect(results.map((job) => job && { id: job.id, state: job.state, attempts: job.attempts })).toEqual([
        { id: 'a', state: 'succeeded', attempts: 0 },
        null,
        null,
        { id: 'c', state: 'pending', attempts: 1 },
        null,
      ]);
      expect((await scriptCalls()) - before).toBe(1);
      expect(await store.get('c')).toMatchObject({ attempts: 1, lastError: 'sep\u001fara\u001etors' });
      expect(await store.get('b')).toMatchObject({
        attempts: 0,
        leaseOwner: JSON.parse(JSON.stringify('s1')),
      });
      expect(await store.list({ state: 'succeeded', limit: 10 })).toMatchObject({ jobs: [{ id: 'a' }] });
    });

    it('all reject with StoreUnavailable when the batch cannot be sent', async () => {
      const store = open({ commandTimeoutMs: 300 });
      for (const id of ['a', 'b']) await store.track({ id, now: T0 });
      const [a, b] = await store.claimDue({ owner: 's1', now: T0, limit: 2, leaseMs: LEASE });
      if (!a || !b) throw new Error('expected two claimed jobs');
      await redis.client('PAUSE', 1000, 'ALL');
      const outcomes = await Promise.allSettled([
        store.commit(a, 's1', { attempts: 1 }),
        store.commit(b, 's1', { attempts: 1 }),
      ]);
      await redis.client('UNPAUSE');
      expect(outcomes).toMatchObject([
        { status: 'rejected', reason: { code: 'StoreUnavailable' } },
        { status: 'rejected', reason: { code: 'StoreUnavailable' } },
      ]);
    });
  });

  it('lists nothing for a state that does not exist, as the memory store', async () => {
    const store = open();
    await store.track({ id: 'a', now: T0 });
    expect(await store.list({ state: 'bogus' as TrackedState, limit: 10 })).toEqual({
      jobs: [],
      cursor: null,
    });
  });

  it('answers a limit of 0 with nothing, claiming nothing', async () => {
    const store = open();
    await store.track({ id: 'a', now: T0 });
    expect(await store.claimDue({ owner: 's', now: T0, limit: 0, leaseMs: LEASE })).toEqual([]);
    expect(await store.list({ state: 'pending', limit: 0 })).toEqual({ jobs: [], cursor: null });
    expect(await store.get('a')).toMatchObject({ leaseOwner: null, version: 0 });
  });

  it('closes twice, and closes a store that never connected, at once', async () => {
    const unused = createRedisStore({ url: server.url });
    await unused.close();
    await unused.close();
    const used = open();
    await used.get('x');
    await used.close();
    await used.close();
    await expect(used.get('x')).rejects.toMatchObject({ code: 'StoreUnavailable' });
  });

  it('rejects with StoreUnavailable while Redis refuses writes for want of memory, and works after', async () => {
    const store = open();
    await redis.config('SET', 'maxmemory', '1');
    try {
      const error = await rejection(store.track({ id: 'a', now: T0 }));
      expect(error).toMatchObject({ code: 'StoreUnavailable', statusCode: 503 });
      expect((error as StoreUnavailableError).detail).toMatch(/track failed: OOM/);
    } finally {
      await redis.config('SET', 'maxmemory', '0');
    }
    expect(await store.track({ id: 'a', now: T0 })).toMatchObject({ outcome: 'created' });
  });

  describe('a Redis that is down or silent', () => {
    let silent: Server;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      silent = createServer((socket) => sockets.push(socket)); // accepts connections, never answers
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('rejects quickly with StoreUnavailable when nothing listens', async () => {
      const port = await freePort();
      const store = open({ url: `redis://:hunter2@127.0.0.1:${port}`, commandTimeoutMs: 1_000 });
      const started = Date.now();
      const error = await rejection(store.claimDue({ owner: 's', now: T0, limit: 10, leaseMs: LEASE }));
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'StoreUnavailable', statusCode: 503, expose: true });
      // The caller is told only that the store is unavailable; the log gets where and why.
      expect(error.message).toBe('the job store is unavailable right now; try again shortly');
      const { detail } = error as StoreUnavailableError;
      expect(detail).toContain(`redis://:***@127.0.0.1:${port}/0: claimDue failed: cannot connect`);
      expect(detail).toContain('ECONNREFUSED');
      expect(JSON.stringify(error)).not.toMatch(/hunter2|ter2/);
    });

    it('rejects within the command timeout when the server never answers', async () => {
      const address = silent.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const store = open({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 300 });
      const started = Date.now();
      const error = await rejection(store.track({ id: 'a', now: T0 }));
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(error).toMatchObject({ code: 'StoreUnavailable' });
      expect((error as StoreUnavailableError).detail).toContain('track failed: no answer within 300 ms');
      const closing = Date.now();
      await store.close();
      expect(Date.now() - closing).toBeLessThan(100);
    });
  });
});

describe('on a Redis with a password', () => {
  let server: RedisServer;
  let port: string;
  beforeAll(async () => {
    server = await startRedis({ args: ['--requirepass', 'top-secret'] });
    port = new URL(server.url).port;
    const admin = new Redis(server.url, { password: 'top-secret' });
    await admin.call('ACL', 'SETUSER', 'sweeper', 'on', '>sweeper-pw', '~*', '+@all');
    admin.disconnect();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function roundTrip(url: string) {
    const store = createRedisStore({ url, prefix: uniquePrefix('auth') });
    try {
      await store.track({ id: 'a', now: T0 });
      return await store.get('a');
    } finally {
      await store.close();
    }
  }

  it('authenticates with the password alone, or as an ACL user', async () => {
    expect(await roundTrip(`redis://:top-secret@127.0.0.1:${port}`)).toMatchObject({ id: 'a' });
    expect(await roundTrip(`redis://sweeper:sweeper-pw@127.0.0.1:${port}`)).toMatchObject({ id: 'a' });
  });

  it('uses the default prefix when given none', async () => {
    const url = `redis://:top-secret@127.0.0.1:${port}`;
    const store = createRedisStore({ url });
    try {
      await store.track({ id: 'a', now: T0 });
    } finally {
      await store.close();
    }
    const admin = new Redis(url);
    try {
      expect(await admin.exists(`${DEFAULT_PREFIX}job:a`)).toBe(1);
    } finally {
      admin.disconnect();
    }
  });

  it('rejects with a clear error on a wrong or missing password, without repeating it', async () => {
    const wrong = await rejection(roundTrip(`redis://:not-it@127.0.0.1:${port}`));
    expect(wrong).toMatchObject({ code: 'JobStoreError' });
    expect(wrong.message).toMatch(/WRONGPASS/);
    expect(wrong.message).not.toContain('not-it');
    const missing = await rejection(roundTrip(`redis://127.0.0.1:${port}`));
    expect(missing.message).toMatch(/NOAUTH/);
  });
});
