import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FcHandler } from '#shared/fc/handler.ts';
import type { JobChanges, JobStore, TrackedJob } from '#shared/jobs/jobStore.ts';
import { createSqliteStore } from '#shared/stores/sqliteStore.ts';
import { FAKE_CREDENTIALS, fcContext, httpEvent, invokeEvent, timerEvent } from '#test/helpers/fc.ts';
import {
  gatewayError,
  jobResponse,
  type ScriptedServer,
  startScriptedServer,
} from '#test/helpers/scriptedServer.ts';
import { sampleSweep } from '#test/helpers/sweepRecord.ts';

let server: ScriptedServer;
let handler: FcHandler;
let logLines: string[];
/** The query function's job store, which the tests also open (as the sweeper would). */
let storePath: string;

beforeAll(async () => {
  server = await startScriptedServer();
  vi.stubEnv('AICONTENT_ENDPOINT', server.url);
  vi.stubEnv('AICONTENT_MAX_ATTEMPTS', '1');
  vi.stubEnv('POLL_HINT_SECONDS', '7');
  vi.stubEnv('NOTIFY_TARGETS_ALLOWED', 'fn:on-job-done, url:https://hooks.example.test/');
  storePath = `${mkdtempSync(join(tmpdir(), 'query-test-'))}/jobs.db`;
  vi.stubEnv('JOB_STORE_URL', `file:${storePath}`);
  vi.resetModules();
  ({ handler } = await import('#functions/query/handler.ts'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await server.close();
});

beforeEach(() => {
  server.script.length = 0;
  server.requests.length = 0;
  logLines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    logLines.push(String(chunk));
    return true;
  });
  return () => vi.restoreAllMocks();
});

const pending = {
  id: '20',
  jobStatus: 'INFERRING',
  modelId: 'm',
  promptId: 'p',
  createTime: '2024-07-12T14:44:19.362931',
};
const finished = { ...pending, jobStatus: 'FINISHED', resultImageUrl: ['0000.png'] };

interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

async function get(path: string, method = 'GET'): Promise<HttpResult & { json: Record<string, unknown> }> {
  const result = (await handler(httpEvent({ method, path }), fcContext())) as HttpResult;
  return { ...result, json: JSON.parse(result.body) };
}

describe('query function over HTTP', () => {
  it('answers a pending job with a poll hint and no caching', async () => {
    server.script.push(jobResponse(pending));
    const result = await get('/jobs/20');
    expect(result.statusCode).toBe(200);
    expect(result.isBase64Encoded).toBe(false);
    expect(result.headers).toMatchObject({ 'retry-after': '7', 'cache-control': 'no-store' });
    expect(result.headers['content-type']).toMatch(/^application\/json/);
    expect(result.json).toMatchObject({
      job: { id: '20', state: 'pending', status: 'INFERRING' },
      terminal: false,
      retryAfterSeconds: 7,
    });
  });

  it('answers a finished job as immutable', async () => {
    server.script.push(jobResponse({ ...finished, id: 'done-untracked' }));
    const result = await get('/jobs/done-untracked');
    expect(result.headers['cache-control']).toContain('immutable');
    expect(result.headers['retry-after']).toBeUndefined();
    expect(result.json).toMatchObject({
      job: { state: 'succeeded', images: ['0000.png'] },
      terminal: true,
      retryAfterSeconds: 0,
    });
  });

  it('passes ids with slashes and spaces through', async () => {
    server.script.push(jobResponse(pending));
    await get('/jobs/a b/c');
    expect(server.requests[0]?.url).toContain('inferenceJobId=a%20b%2Fc');
  });

  it.each([
    [
      'an unknown job',
      { status: 404, body: { success: false, errCode: 'B_DATA_NOT_FOUND_EXCEPTION' } },
      404,
      'JobNotFound',
    ],
    [
      'throttling',
      gatewayError(400, 'Throttling.User', { 'x-acs-retry-after': '3000' }),
      429,
      'UpstreamThrottled',
    ],
    ['an unavailable upstream', gatewayError(503, 'ServiceUnavailable'), 503, 'UpstreamUnavailable'],
    ['an upstream auth failure', gatewayError(400, 'SignatureDoesNotMatch'), 502, 'UpstreamRejected'],
  ])('maps %s to %i', async (_, step, status, code) => {
    server.script.push(step as never);
    const result = await get('/jobs/20');
    expect(result.statusCode).toBe(status);
    expect(result.json).toMatchObject({ error: { code, requestId: '1-6543abcd-0123456789abcdef0123' } });
    expect(result.headers['cache-control']).toBe('no-store');
  });

  it('gives Retry-After from x-acs-retry-after on throttling', async () => {
    server.script.push(gatewayError(400, 'Throttling.User', { 'x-acs-retry-after': '3000' }));
    expect((await get('/jobs/20')).headers['retry-after']).toBe('3');
  });

  it('names the gateway code of an auth failure in the body', async () => {
    server.script.push(gatewayError(403, 'InvalidSecurityToken.Expired'));
    server.script.push(gatewayError(403, 'InvalidSecurityToken.Expired'));
    const result = await get('/jobs/20');
    expect(result.statusCode).toBe(502);
    expect(result.json.error).toMatchObject({
      message: expect.stringContaining('InvalidSecurityToken.Expired'),
    });
  });

  it.each([
    ['/jobs/', 400, 'InvalidState'],
    [`/jobs/${'x'.repeat(300)}`, 400, 'InvalidJobId'],
    ['/nope', 404, 'NotFound'],
    ['/', 404, 'NotFound'],
  ])('answers %s with %i and calls nothing upstream', async (path, status, code) => {
    const result = await get(path);
    expect(result.statusCode).toBe(status);
    expect(result.json).toMatchObject({ error: { code } });
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    ['PUT', '/jobs/20', 'GET, DELETE'],
    ['POST', '/jobs/20', 'GET, DELETE'],
    ['PUT', '/jobs/20/notify', 'GET, DELETE, POST'],
    ['POST', '/stats', 'GET'],
  ])('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
    const result = await get(path, method);
    expect(result.statusCode).toBe(405);
    expect(result.headers.allow).toBe(allow);
  });

  it('rejects a malformed HTTP event with a 400 HTTP response', async () => {
    const event = JSON.parse(httpEvent({ path: '/jobs/1' }).toString());
    event.isBase64Encoded = true;
    event.body = '***';
    const result = (await handler(Buffer.from(JSON.stringify(event)), fcContext())) as HttpResult;
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({ error: { code: 'InvalidEvent' } });
  });

  it('hides internal errors: no credentials is a bare 500 with the request id', async () => {
    const result = (await handler(
      httpEvent({ path: '/jobs/20' }),
      fcContext({ credentials: {} }),
    )) as HttpResult;
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toEqual({
      error: {
        code: 'InternalError',
        message: 'internal error',
        requestId: '1-6543abcd-0123456789abcdef0123',
      },
    });
    expect(logLines.join('')).toContain('RAM role');
  });
});

describe('query function by direct invocation', () => {
  it('returns the same body without an HTTP envelope', async () => {
    server.script.push(jobResponse(finished));
    const result = await handler(invokeEvent({ inferenceJobId: '20' }), fcContext());
    expect(result).toMatchObject({
      job: { id: '20', state: 'succeeded' },
      terminal: true,
      retryAfterSeconds: 0,
    });
    expect(result).not.toHaveProperty('statusCode');
  });

  it.each([
    ['not JSON', 'hello', 'InvalidPayload'],
    ['no id', { jobId: '1' }, 'InvalidPayload'],
    ['a number id', { inferenceJobId: 20 }, 'InvalidJobId'],
    ['an empty id', { inferenceJobId: '' }, 'InvalidJobId'],
  ])('answers %s with an error body', async (_, payload, code) => {
    const result = await handler(invokeEvent(payload), fcContext());
    expect(result).toEqual({
      error: { code, message: expect.any(String), requestId: '1-6543abcd-0123456789abcdef0123' },
    });
  });

  it('returns upstream errors as an error body', async () => {
    server.script.push({ status: 404, body: { success: false, errCode: 'B_DATA_NOT_FOUND_EXCEPTION' } });
    expect(await handler(invokeEvent({ inferenceJobId: 'x' }), fcContext())).toMatchObject({
      error: { code: 'JobNotFound' },
    });
  });

  it('answers a timer event with an error body (a retry would not help)', async () => {
    expect(await handler(timerEvent(), fcContext())).toMatchObject({ error: { code: 'InvalidEvent' } });
  });
});

describe('query function per invocation', () => {
  it('signs with the credentials of the current invocation', async () => {
    server.script.push(jobResponse(pending), jobResponse(pending));
    await handler(invokeEvent({ inferenceJobId: '20' }), fcContext());
    const rotated = {
      accessKeyId: 'STS.ROTATEDFAKE',
      accessKeySecret: 'rotated-fake',
      securityToken: 'CAIS.rotated',
    };
    await handler(invokeEvent({ inferenceJobId: '20' }), fcContext({ credentials: rotated }));
    expect(server.requests.map((r) => r.headers['x-acs-security-token'])).toEqual([
      FAKE_CREDENTIALS.securityToken,
      'CAIS.rotated',
    ]);
    expect(server.requests[1]?.headers.authorization).toContain('Credential=STS.ROTATEDFAKE,');
  });

  it('logs one JSON line per invocation with requestId, function and trigger, and no secrets', async () => {
    server.script.push(jobResponse(pending));
    await get('/jobs/20');
    const lines = logLines.map((line) => JSON.parse(line));
    expect(lines.at(-1)).toMatchObject({
      level: 'info',
      msg: 'invocation done',
      requestId: '1-6543abcd-0123456789abcdef0123',
      function: 'aicontent-jobs-query',
      trigger: 'http GET /jobs/20',
      status: 200,
    });
    const text = logLines.join('');
    for (const secret of Object.values(FAKE_CREDENTIALS)) expect(text).not.toContain(secret);
  });

  it('logs a rejected request (4xx) without a stack, a failed one (5xx) with it', async () => {
    server.script.push({ status: 404, body: { success: false, errCode: 'B_DATA_NOT_FOUND_EXCEPTION' } });
    await get('/jobs/unknown');
    await handler(httpEvent({ path: '/jobs/20' }), fcContext({ credentials: {} }));
    const lines = logLines.map((line) => JSON.parse(line));
    const rejected = lines.find((line) => line.msg === 'invocation rejected');
    expect(rejected).toMatchObject({ level: 'warn', status: 404, error: { code: 'JobNotFound' } });
    expect(rejected.error).not.toHaveProperty('stack');
    expect(JSON.stringify(rejected).length).toBeLessThan(600);
    const failed = lines.find((line) => line.msg === 'invocation failed');
    expect(failed).toMatchObject({
      level: 'error',
      status: 500,
      error: { stack: expect.stringMatching(/\n\s+at /) },
    });
  });

  it('answers before FC kills it when upstream is slower than the function timeout', async () => {
    server.script.push({ ...(jobResponse(pending) as object), delayMs: 3000 } as never);
    const started = Date.now();
    const context = fcContext({ function: { name: 'q', handler: 'index.handler', memory: 128, timeout: 2 } });
    const result = (await handler(httpEvent({ path: '/jobs/20' }), context)) as HttpResult;
    expect(result.statusCode).toBe(504);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('query function tracking jobs', () => {
  async function post(body: string, path = '/jobs') {
    const result = (await handler(httpEvent({ method: 'POST', path, body }), fcContext())) as HttpResult;
    return { ...result, json: JSON.parse(result.body) };
  }

  it('POST /jobs registers a job (202) once aicontent knows it, idempotently', async () => {
    server.script.push(jobResponse({ ...pending, id: 'track-1' }));
    const first = await post(
      JSON.stringify({ inferenceJobId: 'track-1', notify: { function: 'on-job-done' } }),
    );
    expect(first.statusCode).toBe(202);
    expect(first.json).toMatchObject({
      created: true,
      tracking: {
        id: 'track-1',
        state: 'pending',
        notify: 'function on-job-done',
        attempts: 0,
        lastError: null,
        notification: 'none',
        notifyAttempts: 0,
      },
    });
    expect(first.json.tracking.firstSeenAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(server.requests[0]?.url).toContain('inferenceJobId=track-1');
    const again = await post(JSON.stringify({ inferenceJobId: 'track-1' }));
    expect(again.statusCode).toBe(202);
    expect(again.json).toMatchObject({ created: false, tracking: { notify: 'function on-job-done' } });
    expect(server.requests).toHaveLength(1); // a tracked job is not asked about again
  });

  it('POST /jobs of an id aicontent does not know answers 404 JobNotFound and tracks nothing', async () => {
    server.script.push({ status: 404, body: { success: false, errCode: 'B_DATA_NOT_FOUND_EXCEPTION' } });
    const result = await post(JSON.stringify({ inferenceJobId: 'made-up-1' }));
    expect(result.statusCode).toBe(404);
    expect(result.json).toMatchObject({ error: { code: 'JobNotFound' } });
    expect(server.requests).toHaveLength(1);
    const listed = (await handler(
      invokeEvent({ action: 'list', state: 'pending', limit: 500 }),
      fcContext(),
    )) as { jobs: { id: string }[] };
    expect(listed.jobs.map((job) => job.id)).not.toContain('made-up-1');
  });

  it('POST /jobs tracks a job all the same when aicontent cannot say (unavailable), and logs why', async () => {
    server.script.push(gatewayError(503, 'ServiceUnavailable'));
    const result = await post(JSON.stringify({ inferenceJobId: 'unasked-1' }));
    expect(result.statusCode).toBe(202);
    expect(result.json).toMatchObject({ created: true, tracking: { id: 'unasked-1' } });
    expect(logLines.join('')).toContain('could not ask aicontent about a job before tracking it');
  });

  it('POST /jobs gives its target to a job a query started tracking, and refuses another target with 409', async () => {
    server.script.push(jobResponse({ ...pending, id: 'owned-1' }));
    await get('/jobs/owned-1'); // someone looks first: the job is tracked, without a target
    const mine = { function: 'on-job-done' };
    const owner = await post(JSON.stringify({ inferenceJobId: 'owned-1', notify: mine }));
    expect(owner.statusCode).toBe(202);
    expect(owner.json).toMatchObject({ created: false, tracking: { notify: 'function on-job-done' } });
    const same = await post(JSON.stringify({ inferenceJobId: 'owned-1', notify: mine }));
    expect(same.statusCode).toBe(202);
    const other = await post(
      JSON.stringify({ inferenceJobId: 'owned-1', notify: { function: 'on-job-done', qualifier: 'LIVE' } }),
    );
    expect(other.statusCode).toBe(409);
    expect(other.json).toMatchObject({ error: { code: 'TargetConflict' } });
    expect(server.requests).toHaveLength(1); // the query's; POSTs of a tracked job ask nothing
  });

  it('tracks by direct invocation too, and lists tracked jobs by state', async () => {
    server.script.push(jobResponse({ ...pending, id: 'track-2' }));
    expect(
      await handler(invokeEvent({ action: 'track', inferenceJobId: 'track-2' }), fcContext()),
    ).toMatchObject({
      created: true,
      tracking: { id: 'track-2' },
    });
    const listed = (await handler(invokeEvent({ action: 'list', state: 'pending' }), fcContext())) as {
      jobs: { id: string }[];
    };
    expect(listed.jobs.map((job) => job.id)).toContain('track-2');
  });

  it('GET /jobs lists one state a page at a time', async () => {
    const event = JSON.parse(
      httpEvent({ path: '/jobs', query: { state: 'pending', limit: '1' } }).toString(),
    );
    const result = (await handler(Buffer.from(JSON.stringify(event)), fcContext())) as HttpResult;
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body);
    expect(body.jobs).toHaveLength(1);
    expect(typeof body.cursor).toBe('string');
  });

  it('starts tracking a pending job when it is queried', async () => {
    server.script.push(jobResponse({ ...pending, id: 'seen-1' }), jobResponse({ ...finished, id: 'seen-2' }));
    await get('/jobs/seen-1');
    await get('/jobs/seen-2');
    const listed = (await handler(
      invokeEvent({ action: 'list', state: 'pending', limit: 500 }),
      fcContext(),
    )) as {
      jobs: { id: string }[];
    };
    const ids = listed.jobs.map((job) => job.id);
    expect(ids).toContain('seen-1');
    expect(ids).not.toContain('seen-2');
  });

  it.each([
    ['not JSON', 'nope', 400, 'InvalidBody'],
    ['an array', '[1]', 400, 'InvalidBody'],
    ['no id', '{}', 400, 'InvalidJobId'],
    [
      'a bad notify target',
      '{"inferenceJobId":"x","notify":{"url":"http://insecure.test"}}',
      400,
      'InvalidNotifyTarget',
    ],
    [
      'a notify target not in NOTIFY_TARGETS_ALLOWED',
      '{"inferenceJobId":"x","notify":{"function":"somebody-elses-function"}}',
      400,
      'InvalidNotifyTarget',
    ],
    [
      'a webhook this deployment cannot sign (no NOTIFY_WEBHOOK_SECRET)',
      '{"inferenceJobId":"x","notify":{"url":"https://hooks.example.test/done"}}',
      400,
      'InvalidNotifyTarget',
    ],
    [
      'an unknown notify shape',
      '{"inferenceJobId":"x","notify":{"email":"a@b"}}',
      400,
      'InvalidNotifyTarget',
    ],
    ['a huge body', JSON.stringify({ inferenceJobId: 'x', pad: 'x'.repeat(70_000) }), 413, 'PayloadTooLarge'],
  ])('refuses %s', async (_, body, status, code) => {
    const result = await post(body);
    expect(result.statusCode).toBe(status);
    expect(result.json).toMatchObject({ error: { code } });
  });

  it.each([
    [{ action: 'list', state: 'done' }, 'InvalidState'],
    [{ action: 'list', state: 'pending', limit: 0 }, 'InvalidLimit'],
    [{ action: 'list', state: 'pending', cursor: 5 }, 'InvalidCursor'],
    [{ action: 'explode' }, 'InvalidPayload'],
  ])('refuses the invocation %j', async (payload, code) => {
    expect(await handler(invokeEvent(payload), fcContext())).toMatchObject({ error: { code } });
  });

  it.each(['/jobs', '/jobs/'])('answers GET %s without a state with a 400 naming state', async (path) => {
    const result = (await handler(httpEvent({ path }), fcContext())) as HttpResult;
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({
      error: {
        code: 'InvalidState',
        message: expect.stringMatching(/^state is required: .*pending, succeeded/),
      },
    });
  });

  it('lists with or without the trailing slash alike', async () => {
    const list = async (path: string) =>
      JSON.parse(
        ((await handler(httpEvent({ path, query: { state: 'gave_up' } }), fcContext())) as HttpResult).body,
      );
    expect(await list('/jobs/')).toEqual(await list('/jobs'));
    expect(await list('/jobs/')).toMatchObject({ jobs: expect.any(Array), cursor: null });
  });

  it('refuses a list invocation without a state the same way', async () => {
    expect(await handler(invokeEvent({ action: 'list' }), fcContext())).toMatchObject({
      error: { code: 'InvalidState', message: expect.stringMatching(/^state is required/) },
    });
  });

  it('answers PUT /jobs with 405 and Allow: GET, POST', async () => {
    const result = (await handler(httpEvent({ method: 'PUT', path: '/jobs' }), fcContext())) as HttpResult;
    expect(result.statusCode).toBe(405);
    expect(result.headers.allow).toBe('GET, POST');
  });
});

describe('query function operating tracked jobs', () => {
  let store: JobStore;
  beforeAll(async () => {
    store = await createSqliteStore({ path: storePath });
  });
  afterAll(() => store.close());

  /** Tracks `id` and plays the sweeper that polled it once: `changes` are what it learned. */
  async function swept(id: string, changes: JobChanges): Promise<TrackedJob> {
    await store.track({ id, notify: { type: 'function', name: 'on-job-done' }, now: Date.now() - 60_000 });
    const claimed = await store.claimDue({ owner: 'test-sweeper', now: Date.now(), limit: 500, leaseMs: 1 });
    const job = claimed.find((candidate) => candidate.id === id) as TrackedJob;
    for (const other of claimed.filter((candidate) => candidate.id !== id)) {
      await store.commit(other, 'test-sweeper', {});
    }
    return (await store.commit(job, 'test-sweeper', {
      attempts: 1,
      lastPolledAt: Date.now(),
      ...changes,
    })) as TrackedJob;
  }

  async function call(method: string, path: string) {
    const result = (await handler(httpEvent({ method, path }), fcContext())) as HttpResult;
    return { ...result, json: result.body === '' ? undefined : JSON.parse(result.body) };
  }

  it('GET /jobs/{id} shows the tracking of a tracked job, with its last error as code and message', async () => {
    await swept('op-1', {
      lastError: 'UpstreamThrottled: aicontent is throttling requests (Throttling.User)',
    });
    server.script.push(jobResponse({ ...pending, id: 'op-1' }));
    const result = await get('/jobs/op-1');
    expect(result.json).toMatchObject({
      job: { id: 'op-1', state: 'pending' },
      tracking: {
        id: 'op-1',
        state: 'pending',
        attempts: 1,
        lastError: {
          code: 'UpstreamThrottled',
          message: 'aicontent is throttling requests (Throttling.User)',
        },
        notify: 'function on-job-done',
        notification: 'none',
        notifyAttempts: 0,
      },
    });
    expect(Object.keys(result.json.tracking as object).sort()).toEqual(
      [
        'id',
        'state',
        'status',
        'attempts',
        'firstSeenAt',
        'nextPollAt',
        'lastPolledAt',
        'lastError',
        'images',
        'finishedAt',
        'reason',
        'notify',
        'notification',
        'notifyAttempts',
      ].sort(),
    );
  });

  it('GET /jobs/{id} of an ended tracked job is not cacheable (its tracking changes); untracked, no tracking', async () => {
    await swept('op-2', { state: 'succeeded', status: 'FINISHED', finishedAt: Date.now(), nextPollAt: null });
    server.script.push(jobResponse({ ...finished, id: 'op-2' }), jobResponse({ ...finished, id: 'op-2' }));
    const tracked = await get('/jobs/op-2');
    expect(tracked.headers['cache-control']).toBe('no-store');
    expect(tracked.json).toMatchObject({
      terminal: true,
      tracking: { state: 'succeeded', finishedAt: expect.any(String) },
    });
    await store.untrack('op-2');
    const untracked = await get('/jobs/op-2');
    expect(untracked.json).not.toHaveProperty('tracking');
    expect(untracked.headers['cache-control']).toContain('immutable');
  });

  it('DELETE /jobs/{id} stops tracking: 204 without a body, then 404 NotTracked', async () => {
    await swept('a/b op-3', {});
    const deleted = await call('DELETE', '/jobs/a/b op-3');
    expect(deleted).toMatchObject({ statusCode: 204, body: '' });
    expect(deleted.headers['content-type']).toBeUndefined();
    expect(await store.get('a/b op-3')).toBeNull();
    const again = await call('DELETE', '/jobs/a/b op-3');
    expect(again.statusCode).toBe(404);
    expect(again.json).toMatchObject({
      error: { code: 'NotTracked', message: 'job "a/b op-3" is not tracked' },
    });
    expect(server.requests).toHaveLength(0); // aicontent is not asked
  });

  it('POST /jobs/{id}/notify sends an ended job’s news again: 202; 409 JobNotEnded while pending; 404 NotTracked', async () => {
    await swept('op-4', {
      state: 'failed',
      status: 'OOM',
      finishedAt: Date.now(),
      nextPollAt: null,
      notification: 'failed',
      notifyAttempts: 5,
      lastError: 'Http502: the target answered 502',
    });
    const resent = await call('POST', '/jobs/op-4/notify');
    expect(resent.statusCode).toBe(202);
    expect(resent.json).toMatchObject({
      tracking: { id: 'op-4', state: 'failed', notification: 'pending', notifyAttempts: 0 },
    });
    expect(await store.get('op-4')).toMatchObject({
      notification: 'pending',
      nextPollAt: expect.any(Number),
    });

    await swept('op-5/notify', {});
    const early = await call('POST', '/jobs/op-5/notify/notify');
    expect(early.statusCode).toBe(409);
    expect(early.json).toMatchObject({ error: { code: 'JobNotEnded' } });
    expect((await call('POST', '/jobs/never-tracked/notify')).json).toMatchObject({
      error: { code: 'NotTracked' },
    });
    expect((await call('POST', '/jobs//notify')).json).toMatchObject({ error: { code: 'InvalidJobId' } });
  });

  it('GET /stats answers the numbers of the store', async () => {
    await store.recordSweep(sampleSweep(Date.now() - 1_000));
    const result = await call('GET', '/stats');
    expect(result.statusCode).toBe(200);
    expect(result.headers['cache-control']).toBe('no-store');
    const counts = await store.stats(Date.now());
    expect(result.json).toMatchObject({
      generatedAt: expect.stringMatching(/^\d{4}-/),
      jobs: counts.jobs,
      notifications: counts.notifications,
      timeToFinish: { count: counts.finishTimesMs.length },
      sweeps: [{ durationMs: 812, throttled: 1, errors: { UpstreamThrottled: 1 } }],
    });
    expect(Object.keys(result.json).sort()).toEqual(
      [
        'generatedAt',
        'jobs',
        'notifications',
        'dueNow',
        'oldestPendingAgeSeconds',
        'timeToFinish',
        'sweeps',
      ].sort(),
    );
    expect(await handler(invokeEvent({ action: 'stats' }), fcContext())).toMatchObject({ jobs: counts.jobs });
  });

  it('untracks and re-sends by direct invocation too', async () => {
    await swept('op-6', {
      state: 'succeeded',
      finishedAt: Date.now(),
      nextPollAt: null,
      notification: 'sent',
    });
    expect(
      await handler(invokeEvent({ action: 'notify', inferenceJobId: 'op-6' }), fcContext()),
    ).toMatchObject({
      tracking: { notification: 'pending' },
    });
    expect(await handler(invokeEvent({ action: 'untrack', inferenceJobId: 'op-6' }), fcContext())).toEqual({
      untracked: true,
    });
    expect(
      await handler(invokeEvent({ action: 'untrack', inferenceJobId: 'op-6' }), fcContext()),
    ).toMatchObject({
      error: { code: 'NotTracked' },
    });
  });

  it('answers a list cursor no page returned with 400 InvalidCursor, over HTTP and by direct invocation', async () => {
    const result = (await handler(
      httpEvent({ path: '/jobs', query: { state: 'pending', cursor: 'made-up' } }),
      fcContext(),
    )) as HttpResult;
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({ error: { code: 'InvalidCursor' } });
    expect(
      await handler(invokeEvent({ action: 'list', state: 'pending', cursor: 'made-up' }), fcContext()),
    ).toMatchObject({ error: { code: 'InvalidCursor' } });
  });
});

describe('query function at cold start', () => {
  it('fails on a NOTIFY_TARGETS_ALLOWED entry it cannot read, before any POST /jobs loads the target checks', async () => {
    vi.stubEnv('NOTIFY_TARGETS_ALLOWED', 'fn:on-job-done, nope');
    vi.resetModules();
    await expect(import('#functions/query/handler.ts')).rejects.toThrow(
      /NOTIFY_TARGETS_ALLOWED: "nope" is not an entry/,
    );
  });
});
