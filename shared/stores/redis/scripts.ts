/**
 * The Redis job store's Lua scripts, and the commands they become on a connection (`defineScripts`).
 * Every read-then-write of the store is one of these scripts, which Redis runs atomically, so claims and
 * compare-and-set commits are race-free across the sweepers (FC instances, overlapping timer ticks)
 * sharing one instance.
 *
 * Data model (`P` is the key prefix, default `aicontent-jobs:`; `M` is the job's member, codec.ts):
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
 *   fields missing, or a value that does not parse), scored by when that was found (store.ts, "Corrupt
 *   data").
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
 * Atomicity: each operation is one script (EVALSHA), and Redis runs scripts one at a time, so a claim's
 * read of `due` and its writes, and a commit's compare-and-set on (`leaseOwner`, `version`) and its
 * writes, see no other client in between. A claimed job leaves `due`, so no other claim can take it
 * until its lease has expired; a commit succeeds only for the owner of the version it claimed, exactly
 * `canCommit`, and applies `committed`. Scripts check a job's hash before they write anything (`load`), so
 * none fails half-way (Redis does not roll a script back).
 */
import type { Redis } from 'ioredis';
import {
  LATER_FIELDS,
  NOTIFICATION_STATES,
  RECENT_FINISHED,
  TRACKED_STATES,
  type TrackedJob,
} from '#shared/jobs/jobStore.ts';
import { FIELDS } from './codec.ts';

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

-- The job's field values; or nil and the script's answer when there are none: {0} (no such job) or
-- {-1, reason} (corrupt).
local function existing(key)
  local values, problem = load(key)
  if values then return values end
  if problem then return nil, {-1, problem} end
  return nil, {0}
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
local values, answer = existing(KEYS[1])
if not values then return answer end
return {1, encode(values)}
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
local values, answer = existing(KEYS[1])
if not values then return answer end
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
local values, answer = existing(KEYS[1])
if not values then return answer end
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
 * Commits several jobs in one script: the commits of one window (store.ts) go out as one command, so
 * ioredis encodes one command and the socket takes one write for them all (a command per job: 28 % more
 * sweeper CPU per job, README "Performance"). The changes travel as one string (see `packChanges`)
 * rather than as twenty arguments per job, each of which ioredis would encode on its own (7 % more). Each job is its
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
  local values, answer = existing(key)
  if not values then return answer end
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
/** The scripts, as ioredis `defineCommand` adds them (`…Buffer` answers Buffers instead of strings). */
export interface Scripts {
  jobGet(key: Buffer): Promise<[number, string?]>;
  jobTrack(...args: Arg[]): Promise<[number, string?]>;
  jobRequeue(...args: Arg[]): Promise<[number, string?]>;
  jobClaimBuffer(...args: Arg[]): Promise<[[Buffer, Buffer][], [Buffer, Buffer][]]>;
  jobCommit(...args: Arg[]): Promise<[number, string?][]>;
  jobListBuffer(...args: Arg[]): Promise<[[Buffer, Buffer][], [Buffer, Buffer][], Buffer | null]>;
  jobQuarantine(...args: Arg[]): Promise<number>;
  jobUntrack(...args: Arg[]): Promise<[number, string?]>;
  jobRecordSweep(...args: Arg[]): Promise<number>;
  jobStats(...args: Arg[]): Promise<[number[], (string | null)[], number, string | null, string[], string[]]>;
}

/** The scripts as commands of `redis` (ioredis loads each once, then calls it by its SHA). */
export function defineScripts(redis: Redis): Scripts {
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
  return redis as unknown as Scripts;
}
