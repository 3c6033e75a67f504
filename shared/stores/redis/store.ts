/**
 * The production `JobStore`: Redis, i.e. ApsaraDB for Redis / Tair in the function's VPC. Several
 * sweepers (FC instances, overlapping timer ticks) share one instance; every read-then-write is one Lua
 * script (scripts.ts: the data model, and why the scripts are atomic), values are checked and encoded
 * by codec.ts, and the connection is made as url.ts says.
 *
 * Time is always an argument (`now`), never Redis TIME, so clocks are the callers' (as with the other
 * adapters) and tests travel in time. Same behaviour as the memory store (the contract suite, and a
 * randomized comparison in the unit tests), except that jobs due at the very same millisecond are claimed
 * in id order rather than in tracking order, and that a commit ignores undefined values (no change)
 * and the properties that are the store's (`id`, lease, `version`), and refuses (TypeError, before
 * writing) a value that would not read back as a `TrackedJob` (e.g. an unknown state, a NaN time).
 * Commits wait up to COMMIT_WINDOW_MS to go out with others in one script call (commitWindow.ts).
 *
 * Corrupt data (a key clobbered by hand, a job written by an incompatible version): `claimDue` and
 * `list` skip such a job and report it through `onCorrupt` (default: a warn log line); `claimDue` also
 * moves it from `due` / `leased` to `P corrupt` so it does not come back every sweep (its hash is left
 * for an operator). `get` and `track` of that id reject with code `JobStoreCorrupt`; `commit` answers
 * null. A job whose hash is gone but whose member is left in a set is dropped from the set quietly.
 *
 * Errors: a Redis that is down or does not answer in time rejects an operation with a
 * `StoreUnavailableError` (503 `StoreUnavailable`) whose `detail` names the server (never its password)
 * and the last connection error; so do the error replies that mean "not now" (`LOADING`, `OOM`,
 * `READONLY`…). Each store owns one connection; `close()` quits.
 *
 * Deployments: Redis 4.0 or later (ApsaraDB for Redis 5.0+, Tair). A standard (master-replica)
 * instance works as is. A cluster instance needs a prefix with a hash tag (`{aicontent-jobs}:`) so every
 * key is in one slot, and `script_check_enable` set to 0: the claim and list scripts derive job keys
 * from set members, which the proxy's script check refuses.
 */
import { Redis } from 'ioredis';
import { AppError } from '#shared/errors.ts';
import {
  cursorId,
  type JobStore,
  listCursor,
  NOTIFICATION_STATES,
  newTrackedJob,
  RECENT_SWEEPS,
  type StoreStats,
  StoreUnavailableError,
  type SweepRecord,
  TRACKED_STATES,
  type TrackedJob,
} from '#shared/jobs/jobStore.ts';
import { createLogger } from '#shared/log.ts';
import {
  changeArgs,
  decodeId,
  decodeJob,
  encodeId,
  FIELD_CHECKS,
  FIELDS,
  isNumber,
  packChanges,
} from './codec.ts';
import { batchWindow, COMMIT_WINDOW_MS } from './commitWindow.ts';
import { defineScripts } from './scripts.ts';
import { parseRedisUrl, type RedisConnectionSettings, redisConnectionOptions } from './url.ts';

export const DEFAULT_PREFIX = 'aicontent-jobs:';

/** A job the store could not read; see "Corrupt data" at the top of the file. */
export interface CorruptJob {
  /** The id (decoded from the member; best effort if the member was not written by this store). */
  id: string;
  /** The Redis key of its hash. */
  key: string;
  reason: string;
}

export interface RedisStoreOptions extends RedisConnectionSettings {
  /** Prepended to every key, so deployments can share one instance (default `aicontent-jobs:`). */
  prefix?: string;
  /** Told about every corrupt job `claimDue` or `list` skips (default: a warn log line). */
  onCorrupt?: (problem: CorruptJob) => void;
}

/**
 * Error replies that mean "not now" rather than "wrong": the server is loading its data, busy with a
 * script, out of memory (`maxmemory`), a read-only replica after a failover, or a cluster without a
 * master. The request may well succeed a moment later.
 */
const REDIS_BUSY_REPLY = /^(LOADING|BUSY|OOM|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS)\b/;

/** The track script's answers that come with the job, by status (1, created, and 4, full, do not). */
const TRACK_OUTCOMES: Record<number, 'unchanged' | 'targetSet' | 'conflict'> = {
  0: 'unchanged',
  2: 'targetSet',
  3: 'conflict',
};

/** A `JobStore` on the Redis at `options.url`. Connects on first use; `close()` quits. */
export function createRedisStore(options: RedisStoreOptions): JobStore {
  const location = parseRedisUrl(options.url);
  const connection = redisConnectionOptions(options);
  const prefix = Buffer.from(options.prefix ?? DEFAULT_PREFIX, 'utf8');
  const named = (name: string) => Buffer.concat([prefix, Buffer.from(name, 'utf8')]);
  const jobPrefix = named('job:');
  const jobKey = (member: Buffer) => Buffer.concat([jobPrefix, member]);
  const dueKey = named('due');
  const leasedKey = named('leased');
  const corruptKey = named('corrupt');
  const stateKeys = TRACKED_STATES.map((state) => named(`state:${state}`));
  const notificationsKey = named('notifications');
  const pendingSinceKey = named('pending-since');
  const finishedKey = named('finished');
  const sweepsKey = named('sweeps');
  /** What `reindex` keeps up to date, in its order. */
  const statsKeys = [notificationsKey, pendingSinceKey, finishedKey];
  const stateKey = (state: TrackedJob['state']) => stateKeys[TRACKED_STATES.indexOf(state)];

  const onCorrupt =
    options.onCorrupt ??
    ((problem: CorruptJob) =>
      createLogger().warn('Skipped a corrupt job in the Redis job store', {
        ...problem,
        redis: location.display,
      }));
  const report = (member: Buffer, reason: string) =>
    onCorrupt({ id: decodeId(member), key: jobKey(member).toString('utf8'), reason });

  const redis = new Redis(connection);
  let lastConnectionError: Error | undefined;
  redis.on('error', (error: Error) => {
    lastConnectionError = error;
  });
  redis.on('ready', () => {
    lastConnectionError = undefined;
  });
  const scripts = defineScripts(redis);

  /** Runs one operation, turning what ioredis throws into an AppError that says what and where. */
  async function run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof AppError || error instanceof TypeError) throw error;
      const cause = error as Error;
      const failed = `Redis job store ${location.display}: ${operation} failed`;
      if (cause.name === 'ReplyError' && !REDIS_BUSY_REPLY.test(cause.message)) {
        throw new AppError('JobStoreError', `${failed}: ${cause.message}`, { cause });
      }
      throw new StoreUnavailableError(`${failed}: ${unavailableBecause(cause)}`, cause);
    }
  }

  /** Why Redis could not serve a command, in words, with the last connection error when it says more. */
  function unavailableBecause(cause: Error): string {
    const last =
      lastConnectionError && lastConnectionError !== cause ? lastConnectionError.message : undefined;
    const suffix = last ? ` (last connection error: ${last})` : '';
    if (cause.name === 'MaxRetriesPerRequestError') return `cannot connect (${last ?? cause.message})`;
    if (cause.message === 'Command timed out') {
      return `no answer within ${connection.commandTimeout} ms${suffix}`;
    }
    return `${cause.message}${suffix}`;
  }

  function corruptError(id: string, reason: string): AppError {
    return new AppError(
      'JobStoreCorrupt',
      `Redis job store ${location.display}: job ${JSON.stringify(id)} is corrupt (${reason}); ` +
        `inspect the key ${jobKey(encodeId(id)).toString('utf8')}`,
    );
  }

  function decodeOrThrow(id: string, json: string): TrackedJob {
    const job = decodeJob(json);
    if (typeof job === 'string') throw corruptError(id, job);
    return job;
  }

  /**
   * The commits asked for within one window, sent as one script call with their changes packed in one
   * argument (commitWindow.ts says why).
   */
  const commits = batchWindow(async (batch: { member: Buffer; items: string[] }[]) => {
    const packed = packChanges(batch.map(({ items }) => items));
    const members = batch.map(({ member }) => member);
    return run('commit', () =>
      scripts.jobCommit(dueKey, leasedKey, ...statsKeys, ...stateKeys, jobPrefix, packed, ...members),
    );
  }, COMMIT_WINDOW_MS);

  let closed = false;

  return {
    async track(input) {
      const job = newTrackedJob(input);
      const maxPending = input.maxPending ?? -1;
      if (typeof job.id !== 'string' || !isNumber(job.firstSeenAt) || !Number.isInteger(maxPending)) {
        throw new TypeError('track: id must be a string, now a finite number and maxPending a whole number');
      }
      if (!FIELD_CHECKS.notify(job.notify)) throw new TypeError('track: notify must be an object or null');
      const member = encodeId(job.id);
      const values = FIELDS.map((field) => JSON.stringify(job[field]));
      const [status, body = ''] = await run('track', () =>
        scripts.jobTrack(
          jobKey(member),
          dueKey,
          leasedKey,
          ...statsKeys,
          ...stateKeys,
          member,
          maxPending,
          JSON.stringify(input.now),
          ...values,
        ),
      );
      if (status === -1) throw corruptError(job.id, body);
      if (status === 1) return { outcome: 'created', job: JSON.parse(JSON.stringify(job)) as TrackedJob };
      if (status === 4) return { outcome: 'full', job: null };
      const outcome = TRACK_OUTCOMES[status];
      if (!outcome) throw new AppError('JobStoreError', `track: the script answered ${status}`);
      return { outcome, job: decodeOrThrow(job.id, body) };
    },

    async claimDue(input) {
      const limit = Math.floor(input.limit);
      if (!(limit > 0)) return [];
      const expires = input.now + input.leaseMs;
      if (!isNumber(input.now) || !isNumber(expires) || typeof input.owner !== 'string') {
        throw new TypeError('claimDue: now and leaseMs must be finite numbers, owner a string');
      }
      const [bodies, problems] = await run('claimDue', () =>
        scripts.jobClaimBuffer(
          dueKey,
          leasedKey,
          corruptKey,
          jobPrefix,
          JSON.stringify(input.now),
          limit,
          JSON.stringify(input.owner),
          JSON.stringify(expires),
        ),
      );
      for (const [member, reason] of problems) report(member, reason.toString('utf8'));
      const jobs: TrackedJob[] = [];
      const unreadable: Buffer[] = [];
      for (const [member, body] of bodies) {
        const job = decodeJob(body.toString('utf8'));
        if (typeof job !== 'string') {
          jobs.push(job);
          continue;
        }
        // Claimed, but not a job anyone can work on: out of the sets, for an operator to look at.
        unreadable.push(member);
        report(member, job);
      }
      if (unreadable.length > 0) {
        await run('claimDue', () =>
          scripts.jobQuarantine(dueKey, leasedKey, corruptKey, JSON.stringify(input.now), ...unreadable),
        );
      }
      return jobs;
    },

    async commit(job, owner, changes) {
      const args = changeArgs(changes);
      const member = encodeId(job.id);
      const items = [JSON.stringify(owner), String(job.version), ...args];
      const [status, body = ''] = await commits.add({ member, items });
      if (status === 1) return decodeOrThrow(job.id, body);
      if (status === -1) report(member, body);
      return null;
    },

    async get(id) {
      const [status, body = ''] = await run('get', () => scripts.jobGet(jobKey(encodeId(id))));
      if (status === 1) return decodeOrThrow(id, body);
      if (status === -1) throw corruptError(id, body);
      return null;
    },

    async requeueNotification(input) {
      if (!isNumber(input.now)) throw new TypeError('requeueNotification: now must be a finite number');
      const member = encodeId(input.id);
      const [status, body = ''] = await run('requeueNotification', () =>
        scripts.jobRequeue(
          jobKey(member),
          dueKey,
          leasedKey,
          ...statsKeys,
          member,
          JSON.stringify(input.now),
        ),
      );
      if (status === 1) return decodeOrThrow(input.id, body);
      if (status === -1) throw corruptError(input.id, body);
      return null;
    },

    async list(input) {
      const limit = Math.max(0, Math.floor(input.limit));
      const set = stateKey(input.state);
      if (set === undefined) return { jobs: [], cursor: null }; // no job is in a state that does not exist
      const min =
        input.cursor === undefined
          ? '-'
          : Buffer.concat([Buffer.from('('), encodeId(cursorId(input.state, input.cursor))]);
      const [bodies, problems, last] = await run('list', () =>
        scripts.jobListBuffer(set, jobPrefix, min, limit),
      );
      for (const [member, reason] of problems) report(member, reason.toString('utf8'));
      const jobs: TrackedJob[] = [];
      for (const [member, body] of bodies) {
        const job = decodeJob(body.toString('utf8'));
        if (typeof job === 'string') report(member, job);
        else jobs.push(job);
      }
      return { jobs, cursor: last ? listCursor(input.state, decodeId(last)) : null };
    },

    async untrack(id) {
      const member = encodeId(id);
      const [status, body = ''] = await run('untrack', () =>
        scripts.jobUntrack(jobKey(member), dueKey, leasedKey, corruptKey, ...statsKeys, ...stateKeys, member),
      );
      if (status === -1) throw corruptError(id, body);
      return status === 1;
    },

    async recordSweep(record) {
      await run('recordSweep', () =>
        scripts.jobRecordSweep(sweepsKey, JSON.stringify(record), RECENT_SWEEPS),
      );
    },

    async stats(now) {
      if (!isNumber(now)) throw new TypeError('stats: now must be a finite number');
      const [jobs, notifications, dueNow, oldest, finished, sweeps] = await run('stats', () =>
        scripts.jobStats(
          ...statsKeys,
          dueKey,
          leasedKey,
          sweepsKey,
          ...stateKeys,
          jobPrefix,
          JSON.stringify(now),
          RECENT_SWEEPS,
        ),
      );
      return {
        jobs: Object.fromEntries(
          TRACKED_STATES.map((state, i) => [state, jobs[i] ?? 0]),
        ) as StoreStats['jobs'],
        notifications: Object.fromEntries(
          NOTIFICATION_STATES.map((state, i) => [state, Number(notifications[i] ?? 0)]),
        ) as StoreStats['notifications'],
        dueNow,
        oldestPendingSince: oldest === null ? null : Number(oldest),
        finishTimesMs: finished.map(Number),
        sweeps: sweeps.flatMap((text) => {
          try {
            return [JSON.parse(text) as SweepRecord];
          } catch {
            return []; // not written by recordSweep: nothing to show
          }
        }),
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      // QUIT only over a working connection; anything else (never connected, down, reconnecting) is
      // dropped at once rather than after a command timeout.
      if (redis.status !== 'ready') {
        redis.disconnect();
        return;
      }
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}
