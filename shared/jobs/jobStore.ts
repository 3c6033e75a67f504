/**
 * The `JobStore` port: where tracked jobs live between sweeps. Adapters (shared/stores/) implement
 * it for Redis/Tair, an embedded SQLite file and memory; one contract suite (test/contract/) holds
 * them all to the same behaviour.
 *
 * Concurrency model. A job is worked on only under a *lease*: `claimDue` atomically hands due jobs to
 * one owner until `leaseExpiresAt`, so two sweepers never hold the same job. A sweeper's changes go
 * through `commit`, a compare-and-set on (lease owner, version): a sweeper whose lease expired and
 * was taken over cannot overwrite the newer owner's work. The only other writes, a target given to a
 * job tracked without one (`track`) and `requeueNotification`, are atomic too and bump the version, so
 * a sweeper holding the job then loses its commit and the job comes back, as it now is, when the lease
 * ends; after `untrack` there is nothing left to commit to. A crashed sweeper's jobs come back when
 * their lease expires.
 *
 * Stats. `stats` serves `GET /stats` without reading every job: each adapter keeps what it needs up to
 * date with the writes above (Redis), or reads indexes (SQLite). The contract suite holds its numbers
 * to a recount of the jobs, racing sweepers included.
 *
 * Outages. An adapter that cannot reach its backend, or that the backend cannot serve right now (Redis
 * down or silent, a Redis that is loading or out of memory; SQLite busy, full, or failing to read or
 * write), rejects with `StoreUnavailableError`: 503 `StoreUnavailable` with a `Retry-After`, for the
 * caller to try again. Anything else it rejects with is a bug or corrupt data (500).
 */
import { AppError, InvalidInputError } from '#shared/errors.ts';
import type { SweepCounts } from '#shared/query/operatorApi.ts';

/** How long a caller should wait after a `StoreUnavailable` error. */
export const STORE_RETRY_AFTER_MS = 5_000;

/**
 * The job store cannot serve the request right now. The caller is told only that (503, `Retry-After`);
 * `detail` says what failed and where, for the log.
 */
export class StoreUnavailableError extends AppError {
  override name = 'StoreUnavailableError';
  readonly detail: string;

  constructor(detail: string, cause?: unknown) {
    super('StoreUnavailable', 'the job store is unavailable right now; try again shortly', {
      statusCode: 503,
      expose: true,
      retryAfterMs: STORE_RETRY_AFTER_MS,
      cause,
    });
    this.detail = detail;
  }

  /** What the log shows of it (the logger keeps `message` and `stack` too). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, detail: this.detail };
  }
}

/** Where to send the news that a job ended. */
export type NotifyTarget =
  /** An FC 3.0 function, invoked asynchronously through InvokeFunction. */
  | { type: 'function'; name: string; qualifier?: string }
  /** A function still in an FC 2.0 service, invoked through `@alicloud/fc2`. */
  | { type: 'fc2'; service: string; name: string; qualifier?: string }
  /** An HTTPS endpoint, POSTed a signed JSON body. */
  | { type: 'webhook'; url: string };

export type TrackedState = 'pending' | 'succeeded' | 'failed' | 'gave_up';
export const TRACKED_STATES: readonly TrackedState[] = ['pending', 'succeeded', 'failed', 'gave_up'];

/**
 * `none`: nobody to tell; `pending`: to be sent (due at `nextPollAt`); `sent`: the target accepted it;
 * `failed`: given up (NOTIFY_MAX_ATTEMPTS tries, or a failure no later try can mend), `lastError` says
 * why, and `requeueNotification` sends it again.
 */
export type NotificationState = 'none' | 'pending' | 'sent' | 'failed';
export const NOTIFICATION_STATES: readonly NotificationState[] = ['none', 'pending', 'sent', 'failed'];

export interface TrackedJob {
  id: string;
  state: TrackedState;
  /** The upstream `jobStatus` last seen ('' before the first poll). */
  status: string;
  /** Polls made so far, failed ones included. */
  attempts: number;
  /** Consecutive polls aicontent said "no such job" (`JobNotFound`); 0 once it knows the job. */
  notFoundCount: number;
  firstSeenAt: number;
  /** When the sweeper should next look at the job; null once there is nothing left to do. */
  nextPollAt: number | null;
  lastPolledAt: number | null;
  lastError: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  /** Per-job target; null means the deployment's default (NOTIFY_FUNCTION / NOTIFY_URL), if any. */
  notify: NotifyTarget | null;
  /** Resource ids of the generated images, once succeeded. */
  images: string[];
  finishedAt: number | null;
  /** Why the sweeper gave up (age or attempts budget, or aicontent does not know the job). */
  reason: string | null;
  notification: NotificationState;
  notifyAttempts: number;
  /** Bumped by every claim and commit: the compare-and-set token. */
  version: number;
}

/** The fields a commit may change; lease and version are the store's business. */
export type JobChanges = Partial<Omit<TrackedJob, 'id' | 'leaseOwner' | 'leaseExpiresAt' | 'version'>>;

/**
 * Fields added to `TrackedJob` after jobs were first stored, with the value a job stored before them has.
 * Adapters fill them in when they read such a job, so an upgrade needs no migration.
 */
export const LATER_FIELDS = { notFoundCount: 0 } as const satisfies Partial<TrackedJob>;

export interface TrackInput {
  id: string;
  notify?: NotifyTarget | null | undefined;
  now: number;
  /** Start tracking no new job while this many are pending (MAX_TRACKED_JOBS); no limit when absent. */
  maxPending?: number | undefined;
}

/**
 * What `track` did:
 * - `created`: a new job, due at once;
 * - `unchanged`: already tracked, and nothing asked to change (no target given, or the one it has);
 * - `targetSet`: tracked without a target (by a query, say), it now has the one given (`withTarget`);
 * - `conflict`: tracked with another target, which stays: the job is unchanged;
 * - `full`: not tracked, as `maxPending` jobs are pending already.
 */
export type TrackResult =
  | { outcome: 'created' | 'unchanged' | 'targetSet' | 'conflict'; job: TrackedJob }
  | { outcome: 'full'; job: null };

export interface ClaimInput {
  owner: string;
  now: number;
  limit: number;
  leaseMs: number;
}

export interface ListInput {
  state: TrackedState;
  limit: number;
  /** Opaque: the `cursor` a previous page returned (`listCursor`); anything else is `InvalidCursorError`. */
  cursor?: string | undefined;
}

/** One sweep, as the sweeper records it for `GET /stats` (the store keeps the last `RECENT_SWEEPS`). */
export interface SweepRecord extends SweepCounts {
  startedAt: number;
}

/** How many finished jobs the time to finish covers, and how many sweeps `stats` keeps. */
export const RECENT_FINISHED = 1_000;
export const RECENT_SWEEPS = 20;

/** What the store counts for `GET /stats` (shared/jobs/stats.ts makes the body of its reply). */
export interface StoreStats {
  jobs: Record<TrackedState, number>;
  notifications: Record<NotificationState, number>;
  /** Jobs a claim at `now` would take (`isDue`). */
  dueNow: number;
  /** `firstSeenAt` of the oldest pending job; null when none is pending. */
  oldestPendingSince: number | null;
  /**
   * `finishedAt - firstSeenAt`, in ms, of the (up to) `RECENT_FINISHED` jobs that ended most recently,
   * succeeded or failed (`countsAsFinished`), in no particular order.
   */
  finishTimesMs: number[];
  /** The last `RECENT_SWEEPS` sweeps recorded, newest first. */
  sweeps: SweepRecord[];
}

export interface JobStore {
  /**
   * Starts tracking a job, due at once, unless `maxPending` jobs are pending already. Tracking a known
   * job again changes nothing, except that a job tracked without a target takes the one given, atomically
   * (`trackKnown` says exactly what happens).
   */
  track(input: TrackInput): Promise<TrackResult>;
  /**
   * Atomically leases up to `limit` due jobs (`nextPollAt <= now`, no live lease) to `owner`,
   * earliest due first. No job is ever held by two owners at once.
   */
  claimDue(input: ClaimInput): Promise<TrackedJob[]>;
  /**
   * Applies `changes` and releases the lease, only if `owner` still holds the lease of `job` and the
   * stored version is still `job.version`. Returns the stored job, or null when the compare-and-set
   * lost (the lease expired and someone else took the job).
   */
  commit(job: TrackedJob, owner: string, changes: JobChanges): Promise<TrackedJob | null>;
  get(id: string): Promise<TrackedJob | null>;
  /**
   * Puts an ended job's notification back to pending, due at once, its tries counted afresh (to send a
   * `failed` one again once its target is mended, say): see `requeued`. Returns the job as stored,
   * unchanged while it has not ended (there is nothing to send yet); null when there is no such job.
   */
  requeueNotification(input: { id: string; now: number }): Promise<TrackedJob | null>;
  /** For operators: jobs in one state, a page at a time. */
  list(input: ListInput): Promise<{ jobs: TrackedJob[]; cursor: string | null }>;
  /**
   * Stops tracking a job: it is gone, as if never tracked. True if there was one. A sweeper holding its
   * lease then loses its commit (there is nothing left to commit to), harmlessly.
   */
  untrack(id: string): Promise<boolean>;
  /** Keeps a sweep's summary for `stats` (the last `RECENT_SWEEPS`). */
  recordSweep(record: SweepRecord): Promise<void>;
  /** The numbers of `GET /stats`, as of `now`, without reading every job (see each adapter). */
  stats(now: number): Promise<StoreStats>;
  close(): Promise<void>;
}

/** A list `cursor` that no page returned (made up, damaged, or of another state): 400. */
export class InvalidCursorError extends InvalidInputError {
  override name = 'InvalidCursorError';
  constructor() {
    super('cursor must be the one a previous page of the same state returned', 'InvalidCursor');
  }
}

/** The bytes of a cursor: the state and the last id, as UTF-16 code units (any id, lone surrogates too). */
const cursorBytes = (state: TrackedState, id: string) => Buffer.from(`${state}\n${id}`, 'utf16le');

/** The cursor of a page whose last job is `id`: opaque to callers, checked when it comes back. */
export function listCursor(state: TrackedState, id: string): string {
  return cursorBytes(state, id).toString('base64url');
}

/** The id a cursor of `listCursor(state, id)` stands for; `InvalidCursorError` for anything else. */
export function cursorId(state: TrackedState, cursor: string): string {
  const bytes = Buffer.from(cursor, 'base64url');
  const text = bytes.toString('utf16le');
  const head = `${state}\n`;
  if (bytes.length % 2 !== 0 || !text.startsWith(head) || bytes.toString('base64url') !== cursor) {
    throw new InvalidCursorError();
  }
  return text.slice(head.length);
}

/** Whether a job counts in the time to finish: it ended succeeded or failed (not given up). */
export function countsAsFinished(job: Pick<TrackedJob, 'state' | 'finishedAt'>): boolean {
  return (job.state === 'succeeded' || job.state === 'failed') && job.finishedAt !== null;
}

/**
 * The numbers of `stats` for these jobs, counted one by one: what they mean. The memory store counts
 * so; the contract suite holds every adapter's `stats` to it.
 */
export function countStats(jobs: Iterable<TrackedJob>, now: number): Omit<StoreStats, 'sweeps'> {
  const stats: Omit<StoreStats, 'sweeps'> = {
    jobs: zeroCounts(TRACKED_STATES),
    notifications: zeroCounts(NOTIFICATION_STATES),
    dueNow: 0,
    oldestPendingSince: null,
    finishTimesMs: [],
  };
  const finished: TrackedJob[] = [];
  for (const job of jobs) {
    stats.jobs[job.state]++;
    stats.notifications[job.notification]++;
    if (isDue(job, now)) stats.dueNow++;
    if (job.state === 'pending') {
      stats.oldestPendingSince = Math.min(stats.oldestPendingSince ?? job.firstSeenAt, job.firstSeenAt);
    }
    if (countsAsFinished(job)) finished.push(job);
  }
  stats.finishTimesMs = finished
    .sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0))
    .slice(0, RECENT_FINISHED)
    .map((job) => (job.finishedAt ?? 0) - job.firstSeenAt);
  return stats;
}

/** `{key: 0}` for each key. */
export function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

/**
 * A target with its properties in one order, so that equal targets have equal JSON (the Redis store
 * compares them as stored text).
 */
export function canonicalTarget(target: NotifyTarget): NotifyTarget {
  const qualifier =
    'qualifier' in target && target.qualifier !== undefined ? { qualifier: target.qualifier } : {};
  switch (target.type) {
    case 'function':
      return { type: 'function', name: target.name, ...qualifier };
    case 'fc2':
      return { type: 'fc2', service: target.service, name: target.name, ...qualifier };
    case 'webhook':
      return { type: 'webhook', url: target.url };
  }
}

/** Whether two targets name the same place. */
export function sameTarget(a: NotifyTarget, b: NotifyTarget): boolean {
  return JSON.stringify(canonicalTarget(a)) === JSON.stringify(canonicalTarget(b));
}

/** A job as `track` creates it. Shared by the adapters so they agree on defaults. */
export function newTrackedJob(input: TrackInput): TrackedJob {
  return {
    id: input.id,
    state: 'pending',
    status: '',
    attempts: 0,
    notFoundCount: 0,
    firstSeenAt: input.now,
    nextPollAt: input.now,
    lastPolledAt: null,
    lastError: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    notify: input.notify ? canonicalTarget(input.notify) : null,
    images: [],
    finishedAt: null,
    reason: null,
    notification: 'none',
    notifyAttempts: 0,
    version: 0,
  };
}

/** An ended job whose news is to be sent (again) at once, its tries counted afresh. */
function notifyAgain(job: TrackedJob, now: number): TrackedJob {
  return { ...job, notification: 'pending', notifyAttempts: 0, nextPollAt: now };
}

/**
 * The stored job after `requeueNotification`: an ended job's notification pending again, due at
 * `now`; a job still pending as it is. The version is bumped, so a sweeper holding the job's lease cannot
 * commit over it (its next owner sends the notification).
 */
export function requeued(stored: TrackedJob, now: number): TrackedJob {
  if (stored.state === 'pending') return stored;
  return { ...notifyAgain(stored, now), version: stored.version + 1 };
}

/**
 * A job tracked without a target, given one. If it has ended, its news goes to the new target too, at
 * once, whatever became of it before (sent to the default target, or nobody to tell): its owner asked for
 * it. The version is bumped, so a sweeper holding the lease (and telling the default target, perhaps)
 * cannot commit over it: the job comes back when that lease ends, and is polled and told again.
 */
export function withTarget(stored: TrackedJob, notify: NotifyTarget, now: number): TrackedJob {
  const next = { ...stored, notify: canonicalTarget(notify), version: stored.version + 1 };
  return stored.state === 'pending' ? next : notifyAgain(next, now);
}

/** What `track` does with a job it already has (the same in every adapter; see `TrackResult`). */
export function trackKnown(stored: TrackedJob, input: TrackInput): TrackResult {
  const asked = input.notify ?? null;
  if (!asked || (stored.notify && sameTarget(stored.notify, asked))) {
    return { outcome: 'unchanged', job: stored };
  }
  if (stored.notify) return { outcome: 'conflict', job: stored };
  return { outcome: 'targetSet', job: withTarget(stored, asked, input.now) };
}

/** Whether `owner` may commit over the stored job (same lease holder, same version). */
export function canCommit(stored: TrackedJob, job: TrackedJob, owner: string): boolean {
  return stored.leaseOwner === owner && stored.version === job.version;
}

/** The stored job after a commit: changes applied, lease released, version bumped. */
export function committed(stored: TrackedJob, changes: JobChanges): TrackedJob {
  return { ...stored, ...changes, leaseOwner: null, leaseExpiresAt: null, version: stored.version + 1 };
}

/** The stored job after a claim. */
export function claimed(stored: TrackedJob, input: ClaimInput): TrackedJob {
  return {
    ...stored,
    leaseOwner: input.owner,
    leaseExpiresAt: input.now + input.leaseMs,
    version: stored.version + 1,
  };
}

/** Whether a job is due for `claimDue` at `now`. */
export function isDue(job: TrackedJob, now: number): boolean {
  return (
    job.nextPollAt !== null &&
    job.nextPollAt <= now &&
    (job.leaseExpiresAt === null || job.leaseExpiresAt <= now)
  );
}
