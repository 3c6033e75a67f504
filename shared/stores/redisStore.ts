/**
 * The production `JobStore`: Redis, i.e. ApsaraDB for Redis / Tair in the function's VPC. Several
 * sweepers (FC instances, overlapping timer ticks) share one instance; every read-then-write is one Lua
 * script, which Redis runs atomically, so claims and compare-and-set commits are race-free across them.
 *
 * Data model (`P` is the key prefix, default `aicontent-jobs:`; `M` is the job's member, below):
 *
 * - `P job:M` — a hash, one field per `TrackedJob` property, each value that property's JSON
 *   (`attempts` → `3`, `status` → `"INFERRING"`, `nextPollAt` → `1795564800123` or `null`, `notify` →
 *   `{"type":"function",...}`). Why a hash of JSON values rather than one JSON string: a commit is then a
 *   plain HSET of the changed fields (the merge `{...stored, ...changes}` done by Redis, exactly), a claim
 *   an HSET of the lease fields, and the scripts never decode JSON. No cjson, so none of its traps (empty
 *   arrays turned into `{}`, numbers printed with 14 significant digits): values are written by
 *   `JSON.stringify` and read by `JSON.parse`, and round-trip exactly. Scripts read only `state`,
 *   `nextPollAt`, `leaseOwner`, `leaseExpiresAt` and `version`, compare them as strings (the owner as its
 *   JSON, so `"s1"`), hand the numbers to Redis as scores (Redis parses them as doubles: exact for epoch
 *   milliseconds), and bump `version` with HINCRBY. A script returns a job as one JSON object that it
 *   concatenates from the field values (`{"id":` .. id .. `,"state":` .. …), so TypeScript parses one
 *   string per job.
 * - `P due` — sorted set of the jobs waiting for their next poll, scored by `nextPollAt`.
 * - `P leased` — sorted set of the claimed jobs, scored by `leaseExpiresAt`. A job is in one of `due` and
 *   `leased`, or in neither once `nextPollAt` is null. Each claim first moves the leases expired by its
 *   `now` back to `due` at their `nextPollAt` (their lease fields stay until the next claim or commit, as
 *   in the memory store), so a crashed sweeper's jobs come back, and are claimed in the memory store's
 *   order (by `nextPollAt`, not by lease expiry). Then it leases the first `limit` members of `due` with
 *   `nextPollAt <= now`, skipping any whose lease is still live on *its* clock (moved back by a sweeper
 *   whose clock is ahead), and moves them to `leased`. Claims cost O(limit · log n), plus O(log n) once per
 *   expired lease; commits O(log n).
 * - `P state:<state>` — one sorted set per state, every score 0, for `list`: ZRANGEBYLEX pages in member
 *   order with the last id as the cursor.
 * - A field added to `TrackedJob` after jobs were stored (`LATER_FIELDS`) may be missing from an older
 *   job's hash: the scripts read it as its default, and a commit that changes it writes it.
 * - `track` counts the pending jobs for `maxPending` with ZCARD of `P state:pending` (O(1)).
 * - `P corrupt` — jobs taken out of `due` / `leased` because their hash could not be read (not a hash,
 *   fields missing, or a value that does not parse), scored by when that was found. See "Corrupt data".
 *
 * Stats (`GET /stats`) read no job but the recent finished ones: every script that writes a job (track,
 * commit, requeue, untrack) also updates, in the same atomic call (`reindex`), three structures:
 * - `P notifications` — a hash of counts of jobs by notification state (`none`, `pending`, `sent`,
 *   `failed`), plus `counted` once the counts cover every job;
 * - `P pending-since` — sorted set of the pending jobs, scored by `firstSeenAt` (the oldest is first);
 * - `P finished` — sorted set of the `RECENT_FINISHED` jobs that ended succeeded or failed most recently,
 *   scored by `finishedAt`.
 * Jobs by state are the ZCARDs of the state sets; due now, ZCOUNTs of `due` and `leased` up to `now`;
 * `P sweeps` is a list of the last `RECENT_SWEEPS` sweep records, newest first. The first job a store
 * tracks marks its counts `counted`; a store whose jobs were tracked before these structures existed has
 * them rebuilt by its first `stats` call, once, in one script (which reads every job: about 0.6 s per
 * 100,000 jobs, during which Redis serves nobody else: `npm run bench:stats`).
 *
 * Members. `M` is the id in CESU-8: UTF-8, except that each UTF-16 code unit is encoded on its own, so
 * astral characters are two 3-byte surrogates. For ids without astral characters (all real ones) that is
 * their UTF-8, readable in redis-cli. Byte order of CESU-8 equals JavaScript's string order (UTF-16 code
 * units; plain UTF-8 puts astral characters after U+E000–U+FFFF), so `list` pages like the memory store,
 * and ids that are not well-formed UTF-16 (lone surrogates) stay distinct. Ids of any length (the port
 * allows 256 characters) and any bytes are fine as Redis keys and members.
 *
 * Atomicity: each operation is one script (EVALSHA), and Redis runs scripts one at a time, so a claim's
 * read of `due` and its writes, and a commit's compare-and-set on (`leaseOwner`, `version`) and its
 * writes, see no other client in between. A claimed job leaves `due`, so no other claim can take it
 * until its lease has expired; a commit succeeds only for the owner of the version it claimed, exactly
 * `canCommit`, and applies `committed`. Scripts check a job's hash before they write anything (`load`), so
 * none fails half-way (Redis does not roll a script back).
 *
 * Time is always an argument (`now`), never Redis TIME, so clocks are the callers' (as with the other
 * adapters) and tests travel in time. Same behaviour as the memory store (the contract suite, and a
 * randomized comparison in the unit tests), except that jobs due at the very same millisecond are claimed
 * in id order rather than in tracking order, and that a commit ignores undefined values (no change)
 * and the properties that are the store's (`id`, lease, `version`), and refuses (TypeError, before
 * writing) a value that would not read back as a `TrackedJob` (e.g. an unknown state, a NaN time).
 *
 * Corrupt data (a key clobbered by hand, a job written by an incompatible version): `claimDue` and
 * `list` skip such a job and report it through `onCorrupt` (default: a warn log line); `claimDue` also
 * moves it from `due` / `leased` to `P corrupt` so it does not come back every sweep (its hash is left
 * for an operator). `get` and `track` of that id reject with code `JobStoreCorrupt`; `commit` answers
 * null. A job whose hash is gone but whose member is left in a set is dropped from the set quietly.
 *
 * Connection (serverless): ioredis connects on first use (`lazyConnect`), commands wait for the
 * connection at most `commandTimeoutMs`, and a refused connection fails the pending commands after one
 * retry (`maxRetriesPerRequest: 1`), so a down Redis rejects an operation within seconds with a
 * `StoreUnavailableError` (503 `StoreUnavailable`) whose `detail` names the server (never its password)
 * and the last connection error, instead of hanging the invocation; so do the error replies that mean
 * "not now" (`LOADING`, `OOM`, `READONLY`…). ioredis keeps reconnecting in the background (a thawed FC
 * instance finds its socket closed); `close()` quits. Each store owns one connection.
 *
 * Deployments: Redis 4.0 or later (ApsaraDB for Redis 5.0+, Tair). A standard (master-replica)
 * instance works as is. A cluster instance needs a prefix with a hash tag (`{aicontent-jobs}:`) so every
 * key is in one slot, and `script_check_enable` set to 0: the claim and list scripts derive job keys
 * from set members, which the proxy's script check refuses.
 */
import { isIP } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { AppError, ConfigError } from '#shared/errors.ts';
import {
  type ClaimInput,
  cursorId,
  type JobChanges,
  type JobStore,
  LATER_FIELDS,
  type ListInput,
  listCursor,
  NOTIFICATION_STATES,
  newTrackedJob,
  RECENT_FINISHED,
  RECENT_SWEEPS,
  type StoreStats,
  StoreUnavailableError,
  type SweepRecord,
  TRACKED_STATES,
  type TrackedJob,
  type TrackInput,
  type TrackResult,
} from '#shared/jobs/jobStore.ts';
import { createLogger } from '#shared/log.ts';

export const DEFAULT_PREFIX = 'aicontent-jobs:';
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

/** A job the store could not read; see "Corrupt data" above. */
export interface CorruptJob {
  /** The id (decoded from the member; best effort if the member was not written by this store). */
  id: string;
  /** The Redis key of its hash. */
  key: string;
  reason: string;
}

export interface RedisStoreOptions {
  /** `redis://[[user]:password@]host[:port][/db]`, or `rediss://…` for TLS. */
  url: string;
  /** Prepended to every key, so deployments can share one instance (default `aicontent-jobs:`). */
  prefix?: string;
  /** Longest wait for the TCP (and TLS) connection (default 3 s). */
  connectTimeoutMs?: number;
  /** Longest wait for one command, connecting included (default 5 s). */
  commandTimeoutMs?: number;
  /** Extra ioredis options, applied last (e.g. `tls: { ca }`). `keyPrefix` is refused: use `prefix`. */
  redis?: Partial<RedisOptions>;
  /** Told about every corrupt job `claimDue` or `list` skips (default: a warn log line). */
  onCorrupt?: (problem: CorruptJob) => void;
}

/**
 * Error replies that mean "not now" rather than "wrong": the server is loading its data, busy with a
 * script, out of memory (`maxmemory`), a read-only replica after a failover, or a cluster without a
 * master. The request may well succeed a moment later.
 */
const REDIS_BUSY_REPLY = /^(LOADING|BUSY|OOM|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS)\b/;

// --- URL ---------------------------------------------------------------------------------------------

export interface RedisLocation {
  tls: boolean;
  host: string;
  port: number;
  db: number;
  username: string | undefined;
  password: string | undefined;
  /** The URL without its password, for messages and logs. */
  display: string;
}

const URL_FORMS = 'redis://[[user]:password@]host[:port][/db] or rediss://… (TLS)';
/** scheme :// [userinfo @ (up to the last @)] host-or-[ipv6] [: port] [/db] [?query or #fragment] */
const URL_PATTERN =
  /^([a-z][a-z0-9+.-]*):\/\/(?:([^/?#]*)@)?(\[[^\]]*\]|[^:/?#@]*)(?::([^/?#]*))?(\/[^?#]*)?([?#].*)?$/is;

/**
 * Reads a Redis URL. `redis://:password@host` authenticates with the password alone (AUTH password);
 * `redis://user:password@host` as an ACL user (AUTH user password, Redis 6+). ApsaraDB's older
 * `account:password` single-argument form is `redis://:account%3Apassword@host`. Percent-escapes in user
 * and password are decoded. Errors never repeat the password.
 */
export function parseRedisUrl(url: string): RedisLocation {
  const match = URL_PATTERN.exec(url.trim());
  const redacted = redactUrl(url);
  if (!match) throw new ConfigError(`Redis URL ${redacted} must look like ${URL_FORMS}`);
  const [, schemeText = '', userinfo, hostText = '', portText, path, rest] = match;
  const scheme = schemeText.toLowerCase();
  if (scheme !== 'redis' && scheme !== 'rediss') {
    throw new ConfigError(`Redis URL ${redacted} has scheme ${scheme}:, expected redis: or rediss: (TLS)`);
  }
  const host = hostText.startsWith('[') ? hostText.slice(1, -1) : hostText;
  if (host === '') throw new ConfigError(`Redis URL ${redacted} names no host; use ${URL_FORMS}`);
  let port = 6379;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
    if (!(port >= 1 && port <= 65_535)) {
      throw new ConfigError(
        `Redis URL ${redacted} has port ${JSON.stringify(portText)}; expected 1 to 65535`,
      );
    }
  }
  let db = 0;
  if (path !== undefined && path !== '/') {
    const dbText = path.slice(1);
    db = /^\d{1,5}$/.test(dbText) ? Number(dbText) : Number.NaN;
    if (!Number.isInteger(db)) {
      throw new ConfigError(
        `Redis URL ${redacted} has database ${JSON.stringify(dbText)}; expected a number`,
      );
    }
  }
  if (rest !== undefined) {
    throw new ConfigError(`Redis URL ${redacted}: query strings and fragments are not supported`);
  }
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined && userinfo !== '') {
    const colon = userinfo.indexOf(':');
    try {
      const user = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
      username = user === '' ? undefined : user;
      password = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
    } catch {
      throw new ConfigError(`Redis URL ${redacted} has a bad %-escape in its user or password`);
    }
  }
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const user = username === undefined ? '' : `${encodeURIComponent(username)}${password ? ':***' : ''}@`;
  const auth = username === undefined && password ? ':***@' : user;
  return {
    tls: scheme === 'rediss',
    host,
    port,
    db,
    username,
    password,
    display: `${scheme}://${auth}${hostPart}:${port}/${db}`,
  };
}

/** `url` quoted, with its password (all but the user name, up to the last `@`) replaced. */
function redactUrl(url: string): string {
  const redacted = url.trim().replace(/^(.*?:\/\/)(.*)@/s, (_, start: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${start}${colon < 0 ? '***' : `${userinfo.slice(0, colon)}:***`}@`;
  });
  return JSON.stringify(redacted);
}

/** The ioredis options for a store: the URL's, the serverless defaults, then `options.redis`. */
export function redisConnectionOptions(options: RedisStoreOptions): RedisOptions {
  const location = parseRedisUrl(options.url);
  if (options.redis?.keyPrefix) {
    throw new ConfigError('The Redis job store takes its key prefix from `prefix`, not ioredis `keyPrefix`');
  }
  return {
    host: location.host,
    port: location.port,
    db: location.db,
    ...(location.username === undefined ? {} : { username: location.username }),
    ...(location.password === undefined ? {} : { password: location.password }),
    ...(location.tls ? { tls: isIP(location.host) ? {} : { servername: location.host } } : {}),
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    // Commands issued while (re)connecting wait in the offline queue, bounded by commandTimeout; a
    // refused connection fails them after one retry rather than after the default 20.
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(100 * 2 ** (times - 1), 2_000),
    ...options.redis,
  };
}

// --- Fields, members, keys ---------------------------------------------------------------------------

type Check = (value: unknown) => boolean;
const isString: Check = (value) => typeof value === 'string';
const isNumber: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const orNull =
  (check: Check): Check =>
  (value) =>
    value === null || check(value);
const isObject: Check = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every property of a stored job, in the order of the hash fields and of `TrackedJob`, with its check. */
const FIELD_CHECKS: Readonly<Record<keyof TrackedJob, Check>> = {
  id: isString,
  state: (value) => TRACKED_STATES.includes(value as TrackedJob['state']),
  status: isString,
  attempts: isNumber,
  notFoundCount: isNumber,
  firstSeenAt: isNumber,
  nextPollAt: orNull(isNumber),
  lastPolledAt: orNull(isNumber),
  lastError: orNull(isString),
  leaseOwner: orNull(isString),
  leaseExpiresAt: orNull(isNumber),
  notify: orNull(isObject),
  images: (value) => Array.isArray(value) && value.every(isString),
  finishedAt: orNull(isNumber),
  reason: orNull(isString),
  notification: (value) => NOTIFICATION_STATES.includes(value as TrackedJob['notification']),
  notifyAttempts: isNumber,
  version: (value) => Number.isSafeInteger(value) && (value as number) >= 0,
};
const FIELDS = Object.keys(FIELD_CHECKS) as (keyof TrackedJob)[];
/** What `commit` may change: the rest is the store's business (as in `committed`). */
const PROTECTED = new Set<string>(['id', 'leaseOwner', 'leaseExpiresAt', 'version']);

/** The job a script returned (one JSON object), or why it is not one. */
function decodeJob(json: string): TrackedJob | string {
  let job: unknown;
  try {
    job = JSON.parse(json);
  } catch (error) {
    return `unparsable: ${(error as Error).message}`;
  }
  if (!isObject(job)) return 'not an object';
  const record = job as Record<string, unknown>;
  const bad = FIELDS.filter((field) => !FIELD_CHECKS[field](record[field]));
  return bad.length === 0 ? (job as TrackedJob) : `bad ${bad.join(', ')}`;
}

/** The JSON of each change to write, checked so that a commit cannot write what a read would refuse. */
function changeArgs(changes: JobChanges): string[] {
  const args: string[] = [];
  for (const [field, value] of Object.entries(changes)) {
    // Unknown and store-owned properties are not the commit's to write; undefined means "unchanged".
    if (value === undefined || PROTECTED.has(field) || !(field in FIELD_CHECKS)) continue;
    if (!FIELD_CHECKS[field as keyof TrackedJob](value)) {
      throw new TypeError(`commit: ${field} cannot be ${JSON.stringify(value)}`);
    }
    args.push(field, JSON.stringify(value));
  }
  return args;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** The member of an id: CESU-8 (see the top of the file). */
export function encodeId(id: string): Buffer {
  if (!SURROGATE.test(id)) return Buffer.from(id, 'utf8');
  const bytes: number[] = [];
  for (let i = 0; i < id.length; i++) {
    const unit = id.charCodeAt(i);
    if (unit < 0x80) bytes.push(unit);
    else if (unit < 0x800) bytes.push(0xc0 | (unit >> 6), 0x80 | (unit & 0x3f));
    else bytes.push(0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f));
  }
  return Buffer.from(bytes);
}

/** The id of a member written by `encodeId`. */
export function decodeId(member: Buffer): string {
  const units: number[] = [];
  for (let i = 0; i < member.length; ) {
    const lead = member[i] ?? 0;
    const next = (offset: number) => (member[i + offset] ?? 0) & 0x3f;
    if (lead < 0x80) {
      units.push(lead);
      i += 1;
    } else if (lead < 0xe0) {
      units.push(((lead & 0x1f) << 6) | next(1));
      i += 2;
    } else if (lead < 0xf0) {
      units.push(((lead & 0x0f) << 12) | (next(1) << 6) | next(2));
      i += 3;
    } else {
      // Plain UTF-8 of an astral character: not written by this store, decoded for reports.
      const point = ((lead & 0x07) << 18) | (next(1) << 12) | (next(2) << 6) | next(3);
      units.push(0xd800 + ((point - 0x10000) >> 10), 0xdc00 + ((point - 0x10000) & 0x3ff));
      i += 4;
    }
  }
  let id = '';
  for (let i = 0; i < units.length; i += 8192) id += String.fromCharCode(...units.slice(i, i + 8192));
  return id;
}

// --- Scripts -----------------------------------------------------------------------------------------

const lua = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const luaList = (items: readonly string[]) => `{${items.map(lua).join(', ')}}`;
const fieldIndex = (field: keyof TrackedJob) => FIELDS.indexOf(field) + 1;

/**
 * Shared by the scripts: the field list, `load` (read and sanity-check a job's hash: the fields the
 * scripts use must be well-formed, so no later command of the script can fail half-way) and `encode`.
 */
const PRELUDE = `
local FIELDS = ${luaList(FIELDS)}
local HEADS = ${luaList(FIELDS.map((field, i) => `${i === 0 ? '{' : ','}${JSON.stringify(field)}:`))}
local INDEX = {${FIELDS.map((field, i) => `[${lua(field)}] = ${i + 1}`).join(', ')}}
local STATES = {${TRACKED_STATES.map((state, i) => `[${lua(JSON.stringify(state))}] = ${i + 1}`).join(', ')}}
local STATE, NEXT, OWNER, EXPIRES, VERSION, NOTIFY, NOTIFICATION, NOTIFY_ATTEMPTS, FIRST_SEEN, FINISHED_AT = ${[
  'state',
  'nextPollAt',
  'leaseOwner',
  'leaseExpiresAt',
  'version',
  'notify',
  'notification',
  'notifyAttempts',
  'firstSeenAt',
  'finishedAt',
]
  .map((field) => fieldIndex(field as keyof TrackedJob))
  .join(', ')}
-- Fields added after jobs were first stored, with the value a job stored before them has (LATER_FIELDS).
local LATER = {${Object.entries(LATER_FIELDS)
  .map(([field, value]) => `[${fieldIndex(field as keyof TrackedJob)}] = ${lua(JSON.stringify(value))}`)
  .join(', ')}}

local function numberOrNull(value)
  return value == 'null' or (tonumber(value) ~= nil and string.find(value, '^[-+.%deE]+$') ~= nil)
end

-- The job's field values; nil if there is no job; nil and a reason if the job is corrupt.
local function load(key)
  local values = redis.pcall('HMGET', key, unpack(FIELDS))
  if values.err then return nil, values.err end
  local present = 0
  for i = 1, #FIELDS do
    if values[i] then present = present + 1 end
  end
  if present == 0 then return nil end
  for i, value in pairs(LATER) do
    if not values[i] then
      values[i] = value
      present = present + 1
    end
  end
  if present < #FIELDS then return nil, 'missing fields' end
  if not STATES[values[STATE]] then return nil, 'bad state' end
  if not string.find(values[VERSION], '^%d+$') or #values[VERSION] > 15 then return nil, 'bad version' end
  if not numberOrNull(values[NEXT]) then return nil, 'bad nextPollAt' end
  if not numberOrNull(values[EXPIRES]) then return nil, 'bad leaseExpiresAt' end
  return values
end

local function encode(values)
  local parts = {}
  for i = 1, #FIELDS do
    parts[2 * i - 1] = HEADS[i]
    parts[2 * i] = values[i]
  end
  parts[2 * #FIELDS + 1] = '}'
  return table.concat(parts)
end

-- The structures \`stats\` reads, kept up to date by every write of a job (see "Stats" at the top):
-- \`stats\` is {notifications hash, pending-since set, finished set}; \`before\` and \`after\` are the job's
-- values before and after the write, nil for none (created, untracked).
local RECENT_FINISHED = ${RECENT_FINISHED}
local function pendingSince(values)
  if values and values[STATE] == '"pending"' then return values[FIRST_SEEN] end
end
local function finishedAt(values)
  if values and (values[STATE] == '"succeeded"' or values[STATE] == '"failed"') and values[FINISHED_AT] ~= 'null' then
    return values[FINISHED_AT]
  end
end
local function notificationOf(values)
  if values then return string.sub(values[NOTIFICATION], 2, -2) end
end
local function reindex(stats, member, before, after)
  local was, is = notificationOf(before), notificationOf(after)
  if was ~= is then
    if was then redis.call('HINCRBY', stats[1], was, -1) end
    if is then redis.call('HINCRBY', stats[1], is, 1) end
  end
  was, is = pendingSince(before), pendingSince(after)
  if was ~= is then
    if is then redis.call('ZADD', stats[2], is, member) else redis.call('ZREM', stats[2], member) end
  end
  was, is = finishedAt(before), finishedAt(after)
  if was ~= is then
    if is then
      redis.call('ZADD', stats[3], is, member)
      redis.call('ZREMRANGEBYRANK', stats[3], 0, -RECENT_FINISHED - 1)
    else
      redis.call('ZREM', stats[3], member)
    end
  end
end

-- A copy of a job's values, to compare with after a write.
local function copy(values)
  return {unpack(values)}
end

-- An ended job's news to be sent (again) at once, as notifyAgain in jobStore.ts: its values and the
-- HSET arguments \`set\` change; back in due unless it is leased (a claim moves it when the lease ends).
local function notifyAgain(values, set, member, due, leased, now)
  values[NOTIFICATION], values[NOTIFY_ATTEMPTS], values[NEXT] = '"pending"', '0', now
  for _, item in ipairs({'notification', '"pending"', 'notifyAttempts', '0', 'nextPollAt', now}) do
    set[#set + 1] = item
  end
  if not redis.call('ZSCORE', leased, member) then redis.call('ZADD', due, now, member) end
end

-- Writes \`set\` to the job, bumps its version, and returns the job: {status, job}.
local function rewrite(key, values, set, status)
  redis.call('HSET', key, unpack(set))
  values[VERSION] = string.format('%d', redis.call('HINCRBY', key, 'version', 1))
  return {status, encode(values)}
end
`;

/** KEYS: job. → {1, job} | {0} (no such job) | {-1, reason} */
const GET = `${PRELUDE}
local values, problem = load(KEYS[1])
if values then return {1, encode(values)} end
if problem then return {-1, problem} end
return {0}
`;

/**
 * `track`, as `trackKnown` and `newTrackedJob` in jobStore.ts. Targets are compared as their stored JSON:
 * both sides are written from `canonicalTarget`, so equal targets are equal text. The first job a store
 * ever tracks marks its counters as counted from the start (no `stats` rebuild needed).
 * KEYS: job, due, leased, notifications, pending-since, finished, then the state sets in TRACKED_STATES
 * order (`pending` first). ARGV: member, most pending jobs (-1: no limit), now, then the new job's values
 * in field order (its `notify` is the target asked for).
 * → {1} (created) | {0, job} (unchanged) | {2, job} (target set) | {3, job} (conflict) | {4} (full) |
 *   {-1, reason}
 */
const TRACK = `${PRELUDE}
local key, due, leased, pending = KEYS[1], KEYS[2], KEYS[3], KEYS[7]
local stats = {KEYS[4], KEYS[5], KEYS[6]}
local member, maxPending, now = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local asked = ARGV[3 + NOTIFY]
local values, problem = load(key)
if values then
  if asked == 'null' or values[NOTIFY] == asked then return {0, encode(values)} end
  if values[NOTIFY] ~= 'null' then return {3, encode(values)} end
  local before = copy(values)
  values[NOTIFY] = asked
  local set = {'notify', asked}
  if values[STATE] ~= '"pending"' then notifyAgain(values, set, member, due, leased, now) end
  reindex(stats, member, before, values)
  return rewrite(key, values, set, 2)
end
if problem then return {-1, problem} end
if maxPending >= 0 and redis.call('ZCARD', pending) >= maxPending then return {4} end
if redis.call('EXISTS', stats[1]) == 0 then
  local tracked = 0
  for i = 7, #KEYS do tracked = tracked + redis.call('ZCARD', KEYS[i]) end
  if tracked == 0 then redis.call('HSET', stats[1], 'counted', 1) end
end
local set, created = {}, {}
for i = 1, #FIELDS do
  set[2 * i - 1] = FIELDS[i]
  set[2 * i] = ARGV[i + 3]
  created[i] = ARGV[i + 3]
end
redis.call('HSET', key, unpack(set))
if ARGV[NEXT + 3] ~= 'null' then redis.call('ZADD', due, ARGV[NEXT + 3], member) end
redis.call('ZADD', pending, 0, member)
reindex(stats, member, nil, created)
return {1}
`;

/**
 * `requeueNotification`, as `requeued` in jobStore.ts. KEYS: job, due, leased, notifications,
 * pending-since, finished. ARGV: member, now.
 * → {1, job} (requeued, or unchanged while pending) | {0} (no such job) | {-1, reason}
 */
const REQUEUE = `${PRELUDE}
local values, problem = load(KEYS[1])
if not values then
  if problem then return {-1, problem} end
  return {0}
end
if values[STATE] == '"pending"' then return {1, encode(values)} end
local before, set = copy(values), {}
notifyAgain(values, set, ARGV[1], KEYS[2], KEYS[3], ARGV[2])
reindex({KEYS[4], KEYS[5], KEYS[6]}, ARGV[1], before, values)
return rewrite(KEYS[1], values, set, 1)
`;

/**
 * \`untrack\`: the job's hash and its place in every set go, and its counts with them.
 * KEYS: job, due, leased, corrupt, notifications, pending-since, finished, then the state sets in
 * TRACKED_STATES order. ARGV: member. → {1} (untracked) | {0} (no such job) | {-1, reason}
 */
const UNTRACK = `${PRELUDE}
local values, problem = load(KEYS[1])
if not values then
  if problem then return {-1, problem} end
  return {0}
end
local member = ARGV[1]
redis.call('DEL', KEYS[1])
for _, set in ipairs({KEYS[2], KEYS[3], KEYS[4], KEYS[7 + STATES[values[STATE]]]}) do
  redis.call('ZREM', set, member)
end
reindex({KEYS[5], KEYS[6], KEYS[7]}, member, values, nil)
return {1}
`;

/**
 * KEYS: due, leased, corrupt. ARGV: job key prefix, now, limit, owner (JSON), lease expiry (JSON).
 * → {jobs, problems}: {member, job} per claimed job, earliest nextPollAt first; {member, reason} per
 * corrupt job.
 */
const CLAIM = `${PRELUDE}
local due, leased, corrupt = KEYS[1], KEYS[2], KEYS[3]
local jobPrefix, now, limit, owner, expires = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local nowNumber = tonumber(now)
local jobs, problems = {}, {}

local function quarantine(member, reason)
  redis.call('ZREM', due, member)
  redis.call('ZREM', leased, member)
  redis.call('ZADD', corrupt, now, member)
  problems[#problems + 1] = {member, reason}
end

-- Leases expired by now: back to due, at their nextPollAt.
for _, member in ipairs(redis.call('ZRANGEBYSCORE', leased, '-inf', now)) do
  local values, problem = load(jobPrefix .. member)
  if values then
    redis.call('ZREM', leased, member)
    if values[NEXT] ~= 'null' then redis.call('ZADD', due, values[NEXT], member) end
  elseif problem then
    quarantine(member, problem)
  else
    redis.call('ZREM', leased, member)
  end
end

-- A job in due may still hold a lease as seen from this caller's clock (another sweeper, whose clock
-- is ahead, moved it): it stays, and the next window starts after it.
local skipped = 0
while #jobs < limit do
  local batch = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', skipped, limit - #jobs)
  if #batch == 0 then break end
  for _, member in ipairs(batch) do
    local key = jobPrefix .. member
    local values, problem = load(key)
    if values then
      if values[EXPIRES] ~= 'null' and tonumber(values[EXPIRES]) > nowNumber then
        skipped = skipped + 1
      else
        local version = redis.call('HINCRBY', key, 'version', 1)
        redis.call('HSET', key, 'leaseOwner', owner, 'leaseExpiresAt', expires)
        redis.call('ZREM', due, member)
        redis.call('ZADD', leased, expires, member)
        values[OWNER], values[EXPIRES], values[VERSION] = owner, expires, string.format('%d', version)
        jobs[#jobs + 1] = {member, encode(values)}
      end
    elseif problem then
      quarantine(member, problem)
    else
      redis.call('ZREM', due, member)
    end
  end
end
return {jobs, problems}
`;

/**
 * Commits several jobs in one script: what a sweep commits in the same tick goes out as one command, so
 * ioredis encodes one command and the socket takes one write for them all (a command per job cost 12 %
 * more CPU per swept job, bench/sweep.bench.ts). The changes travel as one string (see `packChanges`)
 * rather than as twenty arguments per job, each of which ioredis would encode on its own. Each job is its
 * own compare-and-set: one that loses does not stop the others.
 * KEYS: due, leased, notifications, pending-since, finished, then the state sets in TRACKED_STATES order.
 * ARGV: job key prefix, the packed changes, then the jobs' members in the same order.
 * → per job, in order: {1, job} | {0} (compare-and-set lost, or no such job) | {-1, reason}
 */
const COMMIT = `${PRELUDE}
local due, leased, jobPrefix, packed = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local stats = {KEYS[3], KEYS[4], KEYS[5]}

-- The items of one job's record: owner, version, then field / value pairs (see packChanges).
local function itemsOf(record)
  local items, at = {}, 1
  while true do
    local stop = string.find(record, '\\31', at, true)
    items[#items + 1] = string.sub(record, at, (stop or 0) - 1)
    if not stop then return items end
    at = stop + 1
  end
end

local function commit(member, owner, version, changes)
  local key = jobPrefix .. member
  local values, problem = load(key)
  if not values then
    if problem then return {-1, problem} end
    return {0}
  end
  if values[OWNER] ~= owner or values[VERSION] ~= version then return {0} end
  local before = copy(values)
  for i = 1, #changes, 2 do values[INDEX[changes[i]]] = changes[i + 1] end
  values[OWNER], values[EXPIRES] = 'null', 'null'
  changes[#changes + 1], changes[#changes + 2] = 'leaseOwner', 'null'
  changes[#changes + 1], changes[#changes + 2] = 'leaseExpiresAt', 'null'
  redis.call('HSET', key, unpack(changes))
  values[VERSION] = string.format('%d', redis.call('HINCRBY', key, 'version', 1))
  redis.call('ZREM', leased, member)
  if values[NEXT] == 'null' then
    redis.call('ZREM', due, member)
  else
    redis.call('ZADD', due, values[NEXT], member)
  end
  if values[STATE] ~= before[STATE] then
    redis.call('ZREM', KEYS[5 + STATES[before[STATE]]], member)
    redis.call('ZADD', KEYS[5 + STATES[values[STATE]]], 0, member)
  end
  reindex(stats, member, before, values)
  return {1, encode(values)}
end

local results, at, job = {}, 1, 0
while at <= #packed + 1 do
  local stop = string.find(packed, '\\30', at, true) or #packed + 1
  local items = itemsOf(string.sub(packed, at, stop - 1))
  local owner, version = table.remove(items, 1), table.remove(items, 1)
  job = job + 1
  results[job] = commit(ARGV[2 + job], owner, version, items)
  at = stop + 1
end
return results
`;

/**
 * KEYS: state set. ARGV: job key prefix, ZRANGEBYLEX min, limit.
 * → {jobs, problems, cursor member or false}: {member, job} per job, {member, reason} per corrupt one.
 */
const LIST = `${PRELUDE}
local jobPrefix, limit = ARGV[1], tonumber(ARGV[3])
local members = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[2], '+', 'LIMIT', 0, limit + 1)
local jobs, problems, last = {}, {}, false
for i = 1, math.min(#members, limit) do
  local member = members[i]
  last = member
  local values, problem = load(jobPrefix .. member)
  if values then
    jobs[#jobs + 1] = {member, encode(values)}
  elseif problem then
    problems[#problems + 1] = {member, problem}
  end
end
if #members <= limit then last = false end
return {jobs, problems, last}
`;

/** KEYS: due, leased, corrupt. ARGV: now, members. Takes jobs that do not decode out of the sets. */
const QUARANTINE = `
for i = 2, #ARGV do
  redis.call('ZREM', KEYS[1], ARGV[i])
  redis.call('ZREM', KEYS[2], ARGV[i])
  redis.call('ZADD', KEYS[3], ARGV[1], ARGV[i])
end
return #ARGV - 1
`;

/** KEYS: sweeps. ARGV: the sweep's record (JSON), how many to keep. */
const RECORD_SWEEP = `
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
return 1
`;

/**
 * \`stats\`: O(log n) reads of the structures the writes keep (see "Stats" at the top), plus one read of
 * each of the RECENT_FINISHED most recent finished jobs. A store whose jobs predate the counters
 * (no \`counted\` mark) has them rebuilt first, once: the one time this reads every job.
 * KEYS: notifications, pending-since, finished, due, leased, sweeps, then the state sets in TRACKED_STATES
 * order. ARGV: job key prefix, now, how many sweeps.
 * → {job counts by state, notification counts (false for none), due now, oldest pending firstSeenAt or
 *   false, finishedAt - firstSeenAt of each recent finished job (as text: exact), sweep records}
 */
const STATS = `${PRELUDE}
local stats, jobPrefix, now = {KEYS[1], KEYS[2], KEYS[3]}, ARGV[1], ARGV[2]

-- ZADD of {score, member, score, member, …}, a thousand at a time (Lua's unpack has a limit).
local function addAll(key, items)
  for at = 1, #items, 2000 do
    redis.call('ZADD', key, unpack(items, at, math.min(at + 1999, #items)))
  end
end

-- What reindex would have built, had it seen every write: read from each job's own fields.
local function rebuild()
  redis.call('DEL', stats[1], stats[2], stats[3])
  local counts, pending, finished, states = {}, {}, {}, ${luaList(TRACKED_STATES)}
  for i = 7, #KEYS do
    local state = states[i - 6]
    for _, member in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
      local fields = redis.call('HMGET', jobPrefix .. member, 'notification', 'firstSeenAt', 'finishedAt')
      if fields[1] and fields[2] and fields[3] then
        local notification = string.sub(fields[1], 2, -2)
        counts[notification] = (counts[notification] or 0) + 1
        if state == 'pending' then
          pending[#pending + 1], pending[#pending + 2] = fields[2], member
        elseif (state == 'succeeded' or state == 'failed') and fields[3] ~= 'null' then
          finished[#finished + 1], finished[#finished + 2] = fields[3], member
        end
      end
    end
  end
  for notification, count in pairs(counts) do redis.call('HSET', stats[1], notification, count) end
  addAll(stats[2], pending)
  addAll(stats[3], finished)
  redis.call('ZREMRANGEBYRANK', stats[3], 0, -RECENT_FINISHED - 1)
  redis.call('HSET', stats[1], 'counted', 1)
end

if redis.call('HEXISTS', stats[1], 'counted') == 0 then rebuild() end
local jobs = {}
for i = 7, #KEYS do jobs[#jobs + 1] = redis.call('ZCARD', KEYS[i]) end
local notifications = redis.call('HMGET', stats[1], ${NOTIFICATION_STATES.map(lua).join(', ')})
local dueNow = redis.call('ZCOUNT', KEYS[4], '-inf', now) + redis.call('ZCOUNT', KEYS[5], '-inf', now)
local oldest = redis.call('ZRANGE', stats[2], 0, 0, 'WITHSCORES')[2] or false
local finished = {}
for _, member in ipairs(redis.call('ZREVRANGE', stats[3], 0, RECENT_FINISHED - 1)) do
  local times = redis.call('HMGET', jobPrefix .. member, 'firstSeenAt', 'finishedAt')
  local took = tonumber(times[2]) and tonumber(times[1]) and tonumber(times[2]) - tonumber(times[1])
  if took then finished[#finished + 1] = string.format('%.17g', took) end
end
local sweeps = redis.call('LRANGE', KEYS[6], 0, tonumber(ARGV[3]) - 1)
return {jobs, notifications, dueNow, oldest, finished, sweeps}
`;

type Arg = string | Buffer | number;
type Reply<T> = Promise<T>;
/** The scripts, as ioredis `defineCommand` adds them (`…Buffer` answers Buffers instead of strings). */
interface Scripts {
  jobGet(key: Buffer): Reply<[number, string?]>;
  jobTrack(...args: Arg[]): Reply<[number, string?]>;
  jobRequeue(...args: Arg[]): Reply<[number, string?]>;
  jobClaimBuffer(...args: Arg[]): Reply<[[Buffer, Buffer][], [Buffer, Buffer][]]>;
  jobCommit(...args: Arg[]): Reply<[number, string?][]>;
  jobListBuffer(...args: Arg[]): Reply<[[Buffer, Buffer][], [Buffer, Buffer][], Buffer | null]>;
  jobQuarantine(...args: Arg[]): Reply<number>;
  jobUntrack(...args: Arg[]): Reply<[number, string?]>;
  jobRecordSweep(...args: Arg[]): Reply<number>;
  jobStats(...args: Arg[]): Reply<[number[], (string | null)[], number, string | null, string[], string[]]>;
}

/**
 * The changes of several commits as one string for the commit script: per job its owner, version and
 * field / value items joined by U+001F, the jobs joined by U+001E. Safe without escaping: every item is
 * JSON text, a field name or a number, and JSON text never holds a raw control character.
 */
export function packChanges(jobs: readonly (readonly string[])[]): string {
  return jobs.map((items) => items.join('\x1f')).join('\x1e');
}

/** The track script's answers that come with the job, by status (1, created, and 4, full, do not). */
const TRACK_OUTCOMES: Record<number, 'unchanged' | 'targetSet' | 'conflict'> = {
  0: 'unchanged',
  2: 'targetSet',
  3: 'conflict',
};

// --- The store ---------------------------------------------------------------------------------------

/**
 * Gathers the items added during one tick and hands them to `run` together once the tick's synchronous
 * code is done (a microtask later); each `add` gets the result at its item's index.
 */
function batchPerTick<I, O>(run: (items: I[]) => Promise<O[]>): { add(item: I): Promise<O> } {
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
        if (waiting.length === 0) queueMicrotask(flush);
        waiting.push({ item, resolve, reject });
      }),
  };
}

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
  redis.defineCommand('jobGet', { numberOfKeys: 1, lua: GET });
  redis.defineCommand('jobTrack', { numberOfKeys: 6 + TRACKED_STATES.length, lua: TRACK });
  redis.defineCommand('jobRequeue', { numberOfKeys: 6, lua: REQUEUE });
  redis.defineCommand('jobClaim', { numberOfKeys: 3, lua: CLAIM });
  redis.defineCommand('jobCommit', { numberOfKeys: 5 + TRACKED_STATES.length, lua: COMMIT });
  redis.defineCommand('jobList', { numberOfKeys: 1, lua: LIST });
  redis.defineCommand('jobQuarantine', { numberOfKeys: 3, lua: QUARANTINE });
  redis.defineCommand('jobUntrack', { numberOfKeys: 7 + TRACKED_STATES.length, lua: UNTRACK });
  redis.defineCommand('jobRecordSweep', { numberOfKeys: 1, lua: RECORD_SWEEP });
  redis.defineCommand('jobStats', { numberOfKeys: 6 + TRACKED_STATES.length, lua: STATS });
  const scripts = redis as unknown as Scripts;

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

  /** The commits asked for in this tick, sent as one script call when the tick's synchronous code is done. */
  const commits = batchPerTick(async (batch: { member: Buffer; items: string[] }[]) => {
    const packed = packChanges(batch.map(({ items }) => items));
    const members = batch.map(({ member }) => member);
    return run('commit', () =>
      scripts.jobCommit(dueKey, leasedKey, ...statsKeys, ...stateKeys, jobPrefix, packed, ...members),
    );
  });

  let closed = false;

  return {
    async track(input: TrackInput): Promise<TrackResult> {
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

    async claimDue(input: ClaimInput) {
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

    async commit(job: TrackedJob, owner: string, changes: JobChanges) {
      const args = changeArgs(changes);
      const member = encodeId(job.id);
      const items = [JSON.stringify(owner), String(job.version), ...args];
      const [status, body = ''] = await commits.add({ member, items });
      if (status === 1) return decodeOrThrow(job.id, body);
      if (status === -1) report(member, body);
      return null;
    },

    async get(id: string) {
      const [status, body = ''] = await run('get', () => scripts.jobGet(jobKey(encodeId(id))));
      if (status === 1) return decodeOrThrow(id, body);
      if (status === -1) throw corruptError(id, body);
      return null;
    },

    async requeueNotification(input: { id: string; now: number }) {
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

    async list(input: ListInput) {
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

    async untrack(id: string) {
      const member = encodeId(id);
      const [status, body = ''] = await run('untrack', () =>
        scripts.jobUntrack(jobKey(member), dueKey, leasedKey, corruptKey, ...statsKeys, ...stateKeys, member),
      );
      if (status === -1) throw corruptError(id, body);
      return status === 1;
    },

    async recordSweep(record: SweepRecord) {
      await run('recordSweep', () =>
        scripts.jobRecordSweep(sweepsKey, JSON.stringify(record), RECENT_SWEEPS),
      );
    },

    async stats(now: number): Promise<StoreStats> {
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
