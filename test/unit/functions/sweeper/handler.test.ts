/** The sweeper function's own lines: an idle tick (nothing due) writes one line, a busy one says more. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FcHandler } from '#shared/fc/handler.ts';
import { fcContext, timerEvent } from '#test/helpers/fc.ts';
import { jobResponse, type ScriptedServer, startScriptedServer } from '#test/helpers/scriptedServer.ts';

let server: ScriptedServer;
let handler: FcHandler;
let logLines: Record<string, unknown>[];
const context = () =>
  fcContext({
    function: { name: 'aicontent-jobs-sweeper', handler: 'index.handler', memory: 512, timeout: 60 },
  });

beforeAll(async () => {
  server = await startScriptedServer();
  vi.stubEnv('AICONTENT_ENDPOINT', server.url);
  vi.stubEnv('JOB_STORE_URL', `file:${mkdtempSync(join(tmpdir(), 'sweeper-test-'))}/jobs.db`);
  vi.stubEnv('JOB_STORE_ALLOW_LOCAL_DISK', 'true');
  vi.stubEnv('LOG_LEVEL', 'info');
  vi.resetModules();
  ({ handler } = await import('#functions/sweeper/handler.ts'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await server.close();
});

beforeEach(() => {
  logLines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    logLines.push(JSON.parse(String(chunk)));
    return true;
  });
  return () => vi.restoreAllMocks();
});

describe('sweeper function', () => {
  it('writes one line for a tick with nothing due', async () => {
    await handler(timerEvent('sweep'), context());
    expect(logLines).toEqual([
      expect.objectContaining({ level: 'info', msg: 'invocation done', trigger: 'timer sweep' }),
    ]);
  });

  it('says what a sweep did when it claimed jobs', async () => {
    const { createSqliteStore, parseEmbeddedStoreUrl } = await import('#shared/stores/sqliteStore.ts');
    const store = await createSqliteStore({
      path: parseEmbeddedStoreUrl(process.env.JOB_STORE_URL ?? '').path,
    });
    await store.track({ id: '20', now: Date.now() - 1_000 });
    await store.close?.();
    server.script.push(jobResponse({ id: '20', jobStatus: 'INFERRING' }));
    await handler(timerEvent('sweep'), context());
    expect(logLines.map((line) => line.msg)).toEqual(['sweep done', 'invocation done']);
    expect(logLines[0]).toMatchObject({ claimed: 1, rescheduled: 1, errorsByCode: {} });
  });
});
