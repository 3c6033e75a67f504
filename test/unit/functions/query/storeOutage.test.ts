/**
 * A job store that cannot serve (Redis stopped; SQLite locked by another process) answers 503
 * `StoreUnavailable` with a `Retry-After`, over HTTP and by direct invocation, and says nothing of the
 * store's address; the log says what failed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FcHandler } from '#shared/fc/handler.ts';
import { fcContext, httpEvent, invokeEvent } from '#test/helpers/fc.ts';
import { startRedis } from '#test/helpers/redisServer.ts';
import { jobResponse, type ScriptedServer, startScriptedServer } from '#test/helpers/scriptedServer.ts';

let aicontent: ScriptedServer;
let logLines: string[];

beforeAll(async () => {
  aicontent = await startScriptedServer([], jobResponse({ id: 'x', jobStatus: 'INFERRING' }));
});
afterAll(async () => {
  await aicontent.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

async function queryHandler(jobStoreUrl: string): Promise<FcHandler> {
  vi.stubEnv('AICONTENT_ENDPOINT', aicontent.url);
  vi.stubEnv('AICONTENT_MAX_ATTEMPTS', '1');
  vi.stubEnv('JOB_STORE_URL', jobStoreUrl);
  vi.resetModules();
  logLines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    logLines.push(String(chunk));
    return true;
  });
  return (await import('#functions/query/handler.ts')).handler;
}

interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

async function postJob(handler: FcHandler, id: string): Promise<HttpResult> {
  const event = httpEvent({ method: 'POST', path: '/jobs', body: JSON.stringify({ inferenceJobId: id }) });
  return (await handler(event, fcContext())) as HttpResult;
}

function expectStoreUnavailable(result: HttpResult, hidden: string) {
  expect(result.statusCode).toBe(503);
  expect(result.headers['retry-after']).toBe('5');
  expect(JSON.parse(result.body)).toMatchObject({
    error: { code: 'StoreUnavailable', message: 'the job store is unavailable right now; try again shortly' },
  });
  expect(result.body).not.toContain(hidden);
  const failed = logLines.map((line) => JSON.parse(line)).find((line) => line.msg === 'invocation failed');
  expect(failed?.error).toMatchObject({ code: 'StoreUnavailable', detail: expect.stringContaining(hidden) });
}

describe('the query function when the job store is out', () => {
  it('answers 503 StoreUnavailable with Retry-After when Redis is stopped', async () => {
    const redis = await startRedis({ args: [] }); // its own server: this test stops it
    const handler = await queryHandler(redis.url);
    expect((await postJob(handler, 'before')).statusCode).toBe(202);
    await redis.stop();
    const port = new URL(redis.url).port;
    expectStoreUnavailable(await postJob(handler, 'after'), `127.0.0.1:${port}`);
    const listed = await handler(invokeEvent({ action: 'list', state: 'pending' }), fcContext());
    expect(listed).toMatchObject({ error: { code: 'StoreUnavailable' } });
  });

  it('answers 503 StoreUnavailable with Retry-After while another process holds the SQLite write lock', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'query-outage-')), 'jobs.db');
    const handler = await queryHandler(`file:${path}`);
    expect((await postJob(handler, 'before')).statusCode).toBe(202);
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      // The store waits out its busy timeout (5 s) before it gives up.
      expectStoreUnavailable(await postJob(handler, 'after'), path);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect((await postJob(handler, 'after')).statusCode).toBe(202);
  }, 20_000);
});
