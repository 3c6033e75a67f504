import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/errors.ts';
import { StoreUnavailableError, type TrackedJob } from '#shared/jobs/jobStore.ts';
import { createMemoryStore } from '#shared/stores/memoryStore.ts';
import {
  createSqliteStore,
  parseEmbeddedStoreUrl,
  SCHEMA_VERSION,
  sqliteFailure,
} from '#shared/stores/sqliteStore.ts';
import type { WorkerMessage } from '#test/helpers/sqliteWorker.ts';

const T0 = Date.UTC(2026, 10, 25);
let dir: string;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'sqlite-store-')));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('parseEmbeddedStoreUrl', () => {
  it.each([
    ['file:/var/data/jobs.db', '/var/data/jobs.db'],
    ['sqlite:/var/data/jobs.db', '/var/data/jobs.db'],
    ['file:///var/data/my%20jobs.db', '/var/data/my jobs.db'],
    ['file://localhost/var/jobs.db', '/var/jobs.db'],
    ['SQLITE:/x.db', '/x.db'],
    ['file:data/jobs.db', resolve('data/jobs.db')],
    ['sqlite:jobs.db', resolve('jobs.db')],
  ])('%s → %s', (url, path) => {
    expect(parseEmbeddedStoreUrl(url)).toEqual({ path });
  });

  it.each([
    'redis://127.0.0.1:6379',
    'jobs.db',
    '/var/data/jobs.db',
    'file:',
    'sqlite:',
    'file:/var/data/',
    'sqlite::memory:',
    'file://nas-host/jobs.db',
    'file:/x.db?mode=ro',
    'file:/x%zz.db',
  ])('refuses %s with a ConfigError', (url) => {
    expect(() => parseEmbeddedStoreUrl(url)).toThrow(ConfigError);
  });
});

describe('createSqliteStore', () => {
  it('is durable: a job committed, then closed, is there on reopening', async () => {
    const path = join(dir, 'nested', 'deeper', 'jobs.db'); // the directories do not exist yet
    const first = await createSqliteStore({ path });
    await first.track({ id: 'a', notify: { type: 'webhook', url: 'https://x.test/h' }, now: T0 });
    const [job] = await first.claimDue({ owner: 's1', now: T0, limit: 1, leaseMs: 60_000 });
    const saved = await first.commit(job ?? expect.fail('not claimed'), 's1', {
      state: 'succeeded',
      images: ['0000.png'],
      nextPollAt: null,
    });
    await first.close();

    const again = await createSqliteStore({ path });
    expect(await again.get('a')).toEqual(saved);
    expect(await again.track({ id: 'a', now: T0 + 1 })).toEqual({ outcome: 'unchanged', job: saved });
    await again.close();
  });

  it('reads a job stored before a field was added with that field’s default', async () => {
    const path = join(dir, 'jobs.db');
    const store = await createSqliteStore({ path });
    await store.track({ id: 'old', now: T0 });
    const db = new Database(path);
    db.prepare("UPDATE jobs SET job = json_remove(job, '$.notFoundCount')").run();
    db.close();
    expect(await store.get('old')).toMatchObject({ id: 'old', notFoundCount: 0 });
    await store.close();
  });

  it('records its schema version, and refuses a file written by a newer schema', async () => {
    const path = join(dir, 'jobs.db');
    await (await createSqliteStore({ path })).close();
    const db = new Database(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await expect(createSqliteStore({ path })).rejects.toThrow(`schema version ${SCHEMA_VERSION + 1}`);
  });

  it('brings a file of schema 1 up to date, its jobs counted by stats', async () => {
    const path = join(dir, 'jobs.db');
    const db = new Database(path);
    // Schema 1, as the first release wrote it, with one pending and one finished job.
    db.exec(`
      CREATE TABLE jobs (key BLOB PRIMARY KEY, id TEXT NOT NULL, state TEXT NOT NULL, next_poll_at INTEGER,
        lease_expires_at INTEGER, job TEXT NOT NULL);
      CREATE INDEX jobs_due ON jobs (next_poll_at) WHERE next_poll_at IS NOT NULL;
      CREATE INDEX jobs_state ON jobs (state, key);
      PRAGMA user_version = 1;
    `);
    const memory = createMemoryStore();
    await memory.track({ id: 'p', now: T0 });
    await memory.track({ id: 'f', now: T0 + 1 });
    const [claimed] = await memory.claimDue({ owner: 's', now: T0 + 1, limit: 1, leaseMs: 1 });
    const [, f] = await memory.claimDue({ owner: 's', now: T0 + 2, limit: 2, leaseMs: 1 });
    expect(claimed?.id).toBe('p');
    await memory.commit(f as TrackedJob, 's', {
      state: 'succeeded',
      finishedAt: T0 + 9_001,
      notification: 'sent',
      nextPollAt: null,
    });
    const insert = db.prepare(
      'INSERT INTO jobs (key, id, state, next_poll_at, lease_expires_at, job) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const id of ['p', 'f']) {
      const job = (await memory.get(id)) as TrackedJob;
      const key = Buffer.from(id, 'utf16le').swap16();
      insert.run(key, id, job.state, job.nextPollAt, job.leaseExpiresAt, JSON.stringify(job));
    }
    db.close();
    const store = await createSqliteStore({ path });
    expect(await store.stats(T0 + 10_000)).toEqual(await memory.stats(T0 + 10_000));
    expect((await store.stats(T0 + 10_000)).finishTimesMs).toEqual([9_000]);
    expect(await store.get('f')).toEqual(await memory.get('f'));
    await store.close();
  });

  it('orders and tells ids apart exactly as JavaScript strings do', async () => {
    const store = await createSqliteStore({ path: join(dir, 'jobs.db') });
    // UTF-8 byte order would put the emoji last; JS compares UTF-16 code units. Lone surrogates stay apart.
    const ids = ['\uFF01', '😀', 'a\uD800', 'a\uDBFF', '', 'Z'];
    for (const id of ids) await store.track({ id, now: T0 });
    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ state: 'pending', limit: 2, cursor });
      pages.push(...page.jobs.map((job) => job.id));
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    expect(pages).toEqual([...ids].sort());
    for (const id of ids) expect((await store.get(id))?.id).toBe(id);
    await store.close();
  });
});

describe('when SQLite cannot serve', () => {
  it('answers StoreUnavailable while another process holds the write lock, and works once it lets go', async () => {
    const path = join(dir, 'jobs.db');
    const store = await createSqliteStore({ path, busyTimeoutMs: 50 });
    await store.track({ id: 'a', now: T0 });
    const [job] = await store.claimDue({ owner: 's1', now: T0, limit: 1, leaseMs: 60_000 });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE'); // another process, in the middle of a write
    try {
      for (const operation of [
        store.track({ id: 'b', now: T0 }),
        store.claimDue({ owner: 's2', now: T0, limit: 1, leaseMs: 60_000 }),
        store.commit(job ?? expect.fail('not claimed'), 's1', { attempts: 1 }),
      ]) {
        const error = await operation.then(
          () => expect.fail('expected a rejection'),
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(error).toMatchObject({ code: 'StoreUnavailable', statusCode: 503, retryAfterMs: 5_000 });
        expect((error as StoreUnavailableError).detail).toMatch(/SQLITE_BUSY/);
      }
      // WAL: readers do not wait for the writer.
      expect(await store.get('a')).toMatchObject({ id: 'a' });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(await store.track({ id: 'b', now: T0 })).toMatchObject({ job: { id: 'b' } });
    await store.close();
  });

  it('maps a full disk and I/O errors to StoreUnavailable, and leaves other errors alone', () => {
    // A real SQLITE_FULL: a database allowed no more pages than it has.
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (x BLOB)');
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    let full: unknown;
    try {
      db.prepare('INSERT INTO t VALUES (zeroblob(100000))').run();
    } catch (error) {
      full = error;
    }
    db.close();
    expect(full).toMatchObject({ code: 'SQLITE_FULL' });
    expect(sqliteFailure(full, 'commit', '/x.db')).toMatchObject({
      code: 'StoreUnavailable',
      detail: expect.stringContaining('/x.db: commit failed: SQLITE_FULL'),
    });
    const ioError = new Database.SqliteError('disk I/O error', 'SQLITE_IOERR_WRITE');
    expect(sqliteFailure(ioError, 'track', '/x.db')).toBeInstanceOf(StoreUnavailableError);
    const constraint = new Database.SqliteError('UNIQUE constraint failed', 'SQLITE_CONSTRAINT_UNIQUE');
    expect(sqliteFailure(constraint, 'track', '/x.db')).toBe(constraint);
    const bug = new TypeError('x is undefined');
    expect(sqliteFailure(bug, 'track', '/x.db')).toBe(bug);
  });
});

describe('several processes on one file', () => {
  const JOBS = 500;
  const PROCESSES = 4;

  /** The child's `ready`, then the ids it committed; both fail if it exits first. */
  function run(child: ChildProcess): { ready: Promise<void>; done: Promise<string[]> } {
    const exited = new Promise<never>((_, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`worker exited with ${code} before reporting`)));
    });
    const message = (type: WorkerMessage['type']) =>
      new Promise<WorkerMessage>((resolve) =>
        child.on('message', (m: WorkerMessage) => m.type === type && resolve(m)),
      );
    return {
      ready: Promise.race([message('ready'), exited]).then(() => {}),
      done: Promise.race([message('done'), exited]).then((m) => (m.type === 'done' ? m.ids : [])),
    };
  }

  it('race claimDue/commit: every job processed exactly once', async () => {
    const path = join(dir, 'jobs.db');
    const store = await createSqliteStore({ path });
    const ids = Array.from({ length: JOBS }, (_, i) => `job-${String(i).padStart(4, '0')}`);
    for (const id of ids) await store.track({ id, now: 0 });

    const worker = new URL('../../../helpers/sqliteWorker.ts', import.meta.url).pathname;
    const children = Array.from({ length: PROCESSES }, (_, i) =>
      fork(worker, [path, `process-${i}`], { execArgv: ['--import', 'tsx'], stdio: 'inherit' }),
    );
    try {
      const runs = children.map(run);
      await Promise.all(runs.map((r) => r.ready));
      for (const child of children) child.send('go');
      const processed = await Promise.all(runs.map((r) => r.done));

      const all = processed.flat().sort();
      expect(all).toEqual(ids); // each exactly once: no id missing, none twice
      expect(processed.filter((part) => part.length > 0).length).toBeGreaterThan(1); // they did race
      const left = await store.list({ state: 'pending', limit: 10 });
      expect(left.jobs).toEqual([]);
      expect((await store.list({ state: 'succeeded', limit: JOBS })).jobs).toHaveLength(JOBS);
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill();
      await store.close();
    }
  }, 20_000);
});
