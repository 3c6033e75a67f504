/**
 * The embedded `JobStore`: one SQLite file (better-sqlite3), the local default. Several processes on one
 * machine may share the file. It does not run on Function Compute (openJobStore.ts says why): use
 * Redis / Tair there.
 *
 * - Durable: every transaction is fsynced before it returns (`synchronous = FULL`), so a job `track`
 *   acknowledged survives a crash or a power cut.
 * - Several processes: WAL journal (readers never wait for the writer). Every read-then-write (track,
 *   claimDue, commit, requeueNotification, recordSweep) is one `BEGIN IMMEDIATE` transaction: it takes
 *   the write lock before reading, so claims and compare-and-set commits are atomic across processes;
 *   `stats` reads in one transaction, a snapshot of the file.
 *   A process that finds the lock taken waits up to `busyTimeoutMs`, then the operation fails
 *   (SQLITE_BUSY) with a `StoreUnavailableError` (503), as does a full disk or an I/O error; a sweeper
 *   simply tries again next time.
 * - Same behaviour as the memory store, to the order of claims and list pages (the contract suite).
 * - `stats` reads indexes only (SCHEMA_V2): two counts over an index each (≈20 ms for 100,000 jobs,
 *   `npm run bench:stats`), the due jobs' range, the oldest pending job and the 1,000 recent finished.
 *
 * better-sqlite3 is synchronous: each operation is one short transaction over indexed rows, and the
 * port's promises are already settled when returned. The native module is imported only when a store is
 * created, so a bundle that never uses this store does not need it (scripts/build.ts copies it next to
 * the bundles for local runs only).
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ConfigError } from '#shared/errors.ts';
import {
  type ClaimInput,
  canCommit,
  claimed,
  committed,
  cursorId,
  type JobChanges,
  type JobStore,
  LATER_FIELDS,
  listCursor,
  NOTIFICATION_STATES,
  newTrackedJob,
  RECENT_FINISHED,
  RECENT_SWEEPS,
  requeued,
  type StoreStats,
  StoreUnavailableError,
  type SweepRecord,
  TRACKED_STATES,
  type TrackedJob,
  type TrackInput,
  type TrackResult,
  trackKnown,
  zeroCounts,
} from '#shared/jobs/jobStore.ts';

export interface SqliteStoreOptions {
  /** The database file; its directory is created if missing. */
  path: string;
  /** How long an operation waits for another process's write lock (default 5 s). */
  busyTimeoutMs?: number;
}

/** Bumped with every schema change; `migrate` brings older files up to date. */
export const SCHEMA_VERSION = 2;

/**
 * `key` is the id as UTF-16 code units, big-endian: comparing these bytes orders ids exactly as
 * JavaScript compares strings (SQLite compares TEXT as UTF-8, which orders some characters
 * differently), and keeps ids that are not valid Unicode distinct. `id` is there for people reading the
 * file. `job` holds the whole TrackedJob as JSON; the other columns are copies of its fields for the
 * queries: `jobs_due` serves claimDue (due jobs in claim order, leased ones skipped), `jobs_state` list.
 */
const SCHEMA_V1 = `
  CREATE TABLE jobs (
    key BLOB PRIMARY KEY,
    id TEXT NOT NULL,
    state TEXT NOT NULL,
    next_poll_at INTEGER,
    lease_expires_at INTEGER,
    job TEXT NOT NULL
  );
  CREATE INDEX jobs_due ON jobs (next_poll_at) WHERE next_poll_at IS NOT NULL;
  CREATE INDEX jobs_state ON jobs (state, key);
`;

/**
 * For `stats`, so that it reads indexes rather than every job's JSON: more copies of fields, filled in
 * from the JSON for jobs stored before; `jobs_notification` counts notifications, `jobs_pending_since`
 * finds the oldest pending job, `jobs_finished` the most recent finished ones; `sweeps` keeps the last
 * sweeps' summaries.
 */
const SCHEMA_V2 = `
  ALTER TABLE jobs ADD COLUMN notification TEXT NOT NULL DEFAULT 'none';
  ALTER TABLE jobs ADD COLUMN first_seen_at INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE jobs ADD COLUMN finished_at INTEGER;
  UPDATE jobs SET notification = json_extract(job, '$.notification'),
    first_seen_at = json_extract(job, '$.firstSeenAt'), finished_at = json_extract(job, '$.finishedAt');
  CREATE INDEX jobs_notification ON jobs (notification);
  CREATE INDEX jobs_pending_since ON jobs (first_seen_at) WHERE state = 'pending';
  CREATE INDEX jobs_finished ON jobs (finished_at)
    WHERE state IN ('succeeded', 'failed') AND finished_at IS NOT NULL;
  CREATE TABLE sweeps (id INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL);
`;

export interface EmbeddedStoreLocation {
  /** Absolute path of the database file. */
  path: string;
}

/**
 * Reads an embedded store URL: `file:/abs/path.db`, `file:relative/path.db` (from the working
 * directory), `file:///abs/path.db`, and the same with `sqlite:`. Percent-escapes are decoded.
 */
export function parseEmbeddedStoreUrl(url: string): EmbeddedStoreLocation {
  const forms = 'file:/abs/path.db, file:relative/path.db, sqlite:/abs/path.db or sqlite:relative/path.db';
  const match = /^(file|sqlite):(.*)$/is.exec(url.trim());
  if (!match) throw new ConfigError(`Embedded job store URL ${JSON.stringify(url)} must look like ${forms}`);
  let rest = match[2] ?? '';
  if (rest.startsWith('//')) {
    const host = rest.slice(2).split('/', 1)[0] ?? '';
    if (host !== '' && host.toLowerCase() !== 'localhost') {
      throw new ConfigError(`Embedded job store URL ${JSON.stringify(url)} names a host; use ${forms}`);
    }
    rest = rest.slice(2 + host.length);
  }
  if (/[?#]/.test(rest)) {
    throw new ConfigError(`Embedded job store URL ${JSON.stringify(url)}: query strings are not supported`);
  }
  let path: string;
  try {
    path = decodeURIComponent(rest);
  } catch {
    throw new ConfigError(`Embedded job store URL ${JSON.stringify(url)} has a bad %-escape`);
  }
  if (path === '' || path.endsWith('/') || path === ':memory:') {
    throw new ConfigError(
      `Embedded job store URL ${JSON.stringify(url)} must name a database file: ${forms}`,
    );
  }
  return { path: resolve(path) };
}

/** `path` with its directory's symlinks resolved (when it exists), so the FC check sees the real mount. */
function realPath(path: string): string {
  const absolute = resolve(path);
  try {
    return join(realpathSync(dirname(absolute)), basename(absolute));
  } catch {
    return absolute;
  }
}

const key = (id: string): Buffer => Buffer.from(id, 'utf16le').swap16();

/** The row of a job: its query columns and its JSON. */
function row(job: TrackedJob) {
  return {
    key: key(job.id),
    id: job.id,
    state: job.state,
    nextPollAt: job.nextPollAt,
    leaseExpiresAt: job.leaseExpiresAt,
    notification: job.notification,
    firstSeenAt: job.firstSeenAt,
    finishedAt: job.finishedAt,
    job: JSON.stringify(job),
  };
}

/** The job of a row; a job stored before a field was added gets that field's default (LATER_FIELDS). */
const parse = (stored: { job: string } | undefined): TrackedJob | null =>
  stored ? { ...LATER_FIELDS, ...(JSON.parse(stored.job) as TrackedJob) } : null;

function migrate(db: BetterSqlite3.Database, path: string): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  if (version() === SCHEMA_VERSION) return;
  db.transaction(() => {
    const found = version(); // again, under the write lock: another process may have just migrated
    if (found > SCHEMA_VERSION) {
      throw new ConfigError(
        `The job store ${path} has schema version ${found}; this code knows up to ${SCHEMA_VERSION}. Deploy the newer code.`,
      );
    }
    if (found < 1) db.exec(SCHEMA_V1);
    if (found < 2) db.exec(SCHEMA_V2);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/**
 * SQLite's result codes (better-sqlite3's `SqliteError.code`, extended codes included) that mean the
 * database cannot serve us right now rather than that we asked wrong: another process holds the lock
 * (BUSY, LOCKED), the disk is full (FULL), reading or writing the file failed (IOERR).
 */
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR)(_|$)/;

/** `error` as a `StoreUnavailableError` when SQLite said it cannot serve now; otherwise as it is. */
export function sqliteFailure(error: unknown, operation: string, path: string): unknown {
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  if (!UNAVAILABLE_CODES.test(code)) return error;
  return new StoreUnavailableError(
    `embedded job store ${path}: ${operation} failed: ${code}: ${(error as Error).message}`,
    error,
  );
}

/** Opens (creating if needed) the database at `options.path`. */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<JobStore> {
  const path = realPath(options.path);
  mkdirSync(dirname(path), { recursive: true });

  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path, { timeout: options.busyTimeoutMs ?? 5_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    migrate(db, path);
  } catch (error) {
    db.close();
    throw sqliteFailure(error, 'open', path);
  }

  const statements = {
    get: db.prepare<[Buffer], { job: string }>('SELECT job FROM jobs WHERE key = ?'),
    insert: db.prepare<[ReturnType<typeof row>]>(
      `INSERT INTO jobs (key, id, state, next_poll_at, lease_expires_at, notification, first_seen_at,
       finished_at, job)
       VALUES (@key, @id, @state, @nextPollAt, @leaseExpiresAt, @notification, @firstSeenAt, @finishedAt,
       @job)`,
    ),
    update: db.prepare<[ReturnType<typeof row>]>(
      `UPDATE jobs SET state = @state, next_poll_at = @nextPollAt, lease_expires_at = @leaseExpiresAt,
       notification = @notification, first_seen_at = @firstSeenAt, finished_at = @finishedAt, job = @job
       WHERE key = @key`,
    ),
    remove: db.prepare<[Buffer]>('DELETE FROM jobs WHERE key = ?'),
    // Due: nextPollAt <= now and no live lease (isDue); earliest first, then in tracking order (rowid).
    due: db.prepare<{ now: number; limit: number }, { job: string }>(
      `SELECT job FROM jobs INDEXED BY jobs_due
       WHERE next_poll_at <= @now AND (lease_expires_at IS NULL OR lease_expires_at <= @now)
       ORDER BY next_poll_at, rowid LIMIT @limit`,
    ),
    // Served by the jobs_state index alone: cheap enough for the jobs one machine tracks.
    pendingCount: db.prepare<[], { count: number }>(
      "SELECT count(*) AS count FROM jobs WHERE state = 'pending'",
    ),
    firstPage: db.prepare<[string, number], { job: string }>(
      'SELECT job FROM jobs WHERE state = ? ORDER BY key LIMIT ?',
    ),
    nextPage: db.prepare<[string, Buffer, number], { job: string }>(
      'SELECT job FROM jobs WHERE state = ? AND key > ? ORDER BY key LIMIT ?',
    ),
    // The statements of `stats`, each served by an index (see SCHEMA_V2).
    byState: db.prepare<[], { key: string; count: number }>(
      'SELECT state AS key, count(*) AS count FROM jobs GROUP BY state',
    ),
    byNotification: db.prepare<[], { key: string; count: number }>(
      'SELECT notification AS key, count(*) AS count FROM jobs GROUP BY notification',
    ),
    dueCount: db.prepare<{ now: number }, { count: number }>(
      `SELECT count(*) AS count FROM jobs INDEXED BY jobs_due
       WHERE next_poll_at <= @now AND (lease_expires_at IS NULL OR lease_expires_at <= @now)`,
    ),
    pendingSince: db.prepare<[], { since: number | null }>(
      "SELECT min(first_seen_at) AS since FROM jobs INDEXED BY jobs_pending_since WHERE state = 'pending'",
    ),
    finishTimes: db.prepare<[number], { ms: number }>(
      `SELECT finished_at - first_seen_at AS ms FROM jobs INDEXED BY jobs_finished
       WHERE state IN ('succeeded', 'failed') AND finished_at IS NOT NULL
       ORDER BY finished_at DESC LIMIT ?`,
    ),
    addSweep: db.prepare<[string]>('INSERT INTO sweeps (record) VALUES (?)'),
    trimSweeps: db.prepare<[number]>('DELETE FROM sweeps WHERE id <= (SELECT max(id) FROM sweeps) - ?'),
    sweeps: db.prepare<[number], { record: string }>('SELECT record FROM sweeps ORDER BY id DESC LIMIT ?'),
  };

  const track = db.transaction((input: TrackInput): TrackResult => {
    const existing = parse(statements.get.get(key(input.id)));
    if (existing) {
      const result = trackKnown(existing, input);
      if (result.outcome === 'targetSet') statements.update.run(row(result.job));
      return result;
    }
    const pending = input.maxPending === undefined ? 0 : (statements.pendingCount.get()?.count ?? 0);
    if (input.maxPending !== undefined && pending >= input.maxPending) return { outcome: 'full', job: null };
    const job = newTrackedJob(input);
    statements.insert.run(row(job));
    return { outcome: 'created', job };
  });

  const requeue = db.transaction((input: { id: string; now: number }) => {
    const stored = parse(statements.get.get(key(input.id)));
    if (!stored) return null;
    const next = requeued(stored, input.now);
    if (next !== stored) statements.update.run(row(next));
    return next;
  });

  const claimDue = db.transaction((input: ClaimInput) =>
    statements.due.all({ now: input.now, limit: input.limit }).map((stored) => {
      const next = claimed(parse(stored) as TrackedJob, input);
      statements.update.run(row(next));
      return next;
    }),
  );

  const commit = db.transaction((job: TrackedJob, owner: string, changes: JobChanges) => {
    const stored = parse(statements.get.get(key(job.id)));
    if (!stored || !canCommit(stored, job, owner)) return null;
    const next = committed(stored, changes);
    statements.update.run(row(next));
    return next;
  });

  const recordSweep = db.transaction((record: SweepRecord) => {
    statements.addSweep.run(JSON.stringify(record));
    statements.trimSweeps.run(RECENT_SWEEPS);
  });

  /** Counts from the indexes, in one read transaction: one snapshot of the file. */
  const stats = db.transaction((now: number): StoreStats => {
    const counted = <K extends string>(keys: readonly K[], rows: { key: string; count: number }[]) => {
      const counts = zeroCounts(keys);
      for (const { key, count } of rows) if (keys.includes(key as K)) counts[key as K] = count;
      return counts;
    };
    return {
      jobs: counted(TRACKED_STATES, statements.byState.all()),
      notifications: counted(NOTIFICATION_STATES, statements.byNotification.all()),
      dueNow: statements.dueCount.get({ now })?.count ?? 0,
      oldestPendingSince: statements.pendingSince.get()?.since ?? null,
      finishTimesMs: statements.finishTimes.all(RECENT_FINISHED).map(({ ms }) => ms),
      sweeps: statements.sweeps.all(RECENT_SWEEPS).map(({ record }) => JSON.parse(record) as SweepRecord),
    };
  });

  /** Runs one operation, turning SQLite's "not now" into a StoreUnavailableError. */
  function run<T>(operation: string, fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(sqliteFailure(error, operation, path));
    }
  }

  return {
    track: (input) => run('track', () => track.immediate(input)),

    claimDue: (input) => run('claimDue', () => claimDue.immediate(input)),

    commit: (job, owner, changes) => run('commit', () => commit.immediate(job, owner, changes)),

    get: (id) => run('get', () => parse(statements.get.get(key(id)))),

    requeueNotification: (input) => run('requeueNotification', () => requeue.immediate(input)),

    list: (input) =>
      run('list', () => {
        // One row more than the page tells whether another page follows.
        const rows =
          input.cursor === undefined
            ? statements.firstPage.all(input.state, input.limit + 1)
            : statements.nextPage.all(input.state, key(cursorId(input.state, input.cursor)), input.limit + 1);
        const jobs = rows.slice(0, input.limit).map((stored) => parse(stored) as TrackedJob);
        const last = jobs.at(-1);
        return {
          jobs,
          cursor: rows.length > input.limit && last ? listCursor(input.state, last.id) : null,
        };
      }),

    untrack: (id) => run('untrack', () => statements.remove.run(key(id)).changes > 0),

    recordSweep: (record) => run('recordSweep', () => recordSweep.immediate(record)),

    stats: (now) => run('stats', () => stats.deferred(now)),

    async close() {
      db.close();
    },
  };
}
