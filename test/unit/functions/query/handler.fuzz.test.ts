/**
 * Throws thousands of malformed events at the real query handler: bad JSON, wrong base64, huge
 * bodies, odd paths, methods and headers, wrong field types. Every output must be a 4xx carrying a
 * JSON error, never a crash and never a 5xx. Upstream answers every job it is asked about with 404.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FcHandler } from '#shared/fc/handler.ts';
import { fcContext, httpEvent } from '#test/helpers/fc.ts';
import { type ScriptedServer, startScriptedServer } from '#test/helpers/scriptedServer.ts';

let server: ScriptedServer;
let handler: FcHandler;

beforeAll(async () => {
  server = await startScriptedServer([], {
    status: 404,
    body: { success: false, errCode: 'B_DATA_NOT_FOUND_EXCEPTION', errMessage: '资源没有找到' },
  });
  vi.stubEnv('AICONTENT_ENDPOINT', server.url);
  vi.stubEnv('LOG_LEVEL', 'error');
  vi.stubEnv('JOB_STORE_URL', `file:${mkdtempSync(join(tmpdir(), 'query-fuzz-'))}/jobs.db`);
  vi.resetModules();
  ({ handler } = await import('#functions/query/handler.ts'));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await server.close();
});

const base = JSON.parse(httpEvent({ path: '/jobs/1' }).toString());

const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    '/',
    '//',
    '/jobs',
    '/jobs/',
    '/jobs/%',
    '/../etc/passwd',
    '/jobs/\u0000',
    '/JOBS/1',
    '/jobs/\ud800',
  ),
);

const oddPath = fc.oneof(
  oddString,
  oddString.map((s) => `/jobs/${s}`),
);

/** A v1 HTTP event with some fields replaced by something odd. */
const oddHttpEvent = fc
  .record(
    {
      rawPath: fc.oneof(oddPath, fc.anything()),
      headers: fc.oneof(fc.dictionary(oddString, oddString, { maxKeys: 5 }), fc.anything()),
      queryParameters: fc.oneof(fc.dictionary(oddString, oddString, { maxKeys: 5 }), fc.anything()),
      body: fc.oneof(oddString, fc.anything(), fc.constant('x'.repeat(1_000_000))),
      isBase64Encoded: fc.oneof(fc.boolean(), fc.anything()),
      method: fc.oneof(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'get'),
        oddString,
        fc.anything(),
      ),
      path: fc.oneof(oddPath, fc.anything()),
    },
    { requiredKeys: [] },
  )
  .map(({ method, path, ...fields }) => {
    const http = { ...base.requestContext.http, method, path };
    const event = { ...base, ...fields, requestContext: { ...base.requestContext, http } };
    return Buffer.from(JSON.stringify(event));
  });

const oddTimerEvent = fc
  .record({ triggerTime: fc.anything(), triggerName: fc.anything(), payload: fc.anything() })
  .map((event) => Buffer.from(JSON.stringify(event)));

const oddInvocation = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? '')),
  fc.record({ inferenceJobId: fc.anything() }).map((value) => Buffer.from(JSON.stringify(value) ?? '')),
  oddString.map((s) => Buffer.from(s)),
);

interface HandlerOutput {
  statusCode?: number;
  body?: string;
  error?: { code: string; message: string; requestId: string };
}

function errorOf(output: HandlerOutput): HandlerOutput['error'] {
  if (output.statusCode === undefined) return output.error;
  expect(output.statusCode).toBeGreaterThanOrEqual(400);
  expect(output.statusCode).toBeLessThan(500);
  return JSON.parse(output.body ?? '').error;
}

describe('query handler under malformed input', () => {
  it('answers every malformed event with a 4xx JSON error (≥ 2,000 events)', async () => {
    let count = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(oddHttpEvent, oddTimerEvent, oddInvocation), async (event) => {
        count++;
        const output = (await handler(event, fcContext())) as HandlerOutput;
        const error = errorOf(output);
        expect(error).toMatchObject({
          code: expect.any(String),
          message: expect.any(String),
          requestId: expect.any(String),
        });
        expect(error?.code).not.toBe('InternalError');
      }),
      { numRuns: 2_400 },
    );
    expect(count).toBeGreaterThanOrEqual(2_000);
  }, 120_000);
});
