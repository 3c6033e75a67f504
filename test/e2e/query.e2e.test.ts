import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCredentials } from '#local/runtime/credentials.ts';
import type { LocalStack } from '#local/stack.ts';
import { startTestStack } from '#test/helpers/testStack.ts';

let stack: LocalStack;
let api: string;
/** Every triple handed to a function; `expired` makes the next ones unusable upstream. */
const handedOut: IssuedCredentials[] = [];
let expired = false;

beforeAll(async () => {
  stack = await startTestStack('e2e-query', {
    env: { AICONTENT_MAX_ATTEMPTS: '2' },
    credentials: (emulator) => async () => {
      const credentials = emulator.mintStsCredentials(expired ? -60_000 : undefined);
      handedOut.push(credentials);
      return credentials;
    },
  });
  api = stack.runtime.url;
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  stack.emulator.setFaults({});
  expired = false;
});

async function get(path: string, init?: RequestInit) {
  const response = await fetch(`${api}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

describe('query function over HTTP (e2e)', () => {
  it('answers a pending job with 200, Retry-After and no caching', async () => {
    const id = stack.emulator.createJob({ schedule: { waitScheduleMs: 60_000 } });
    const result = await get(`/jobs/${id}`);
    expect(result.status).toBe(200);
    expect(result.headers.get('retry-after')).toBe('10');
    expect(result.headers.get('cache-control')).toBe('no-store');
    expect(result.json).toMatchObject({
      job: { id, status: 'WAIT_SCHEDULE', state: 'pending' },
      terminal: false,
    });
  });

  it('answers a finished job with 200 and immutable caching', async () => {
    const id = stack.emulator.createJob({ schedule: { waitScheduleMs: 0, inferringMs: 0 } });
    const result = await get(`/jobs/${id}`);
    expect(result.status).toBe(200);
    expect(result.headers.get('cache-control')).toContain('immutable');
    expect(result.json).toMatchObject({
      job: { state: 'succeeded', images: ['0000.png', '0001.png'] },
      terminal: true,
    });
  });

  it('404 for an unknown job, 400 for an invalid id', async () => {
    expect(await get('/jobs/no-such-job')).toMatchObject({
      status: 404,
      json: { error: { code: 'JobNotFound' } },
    });
    expect(await get('/jobs/bad%00id')).toMatchObject({
      status: 400,
      json: { error: { code: 'InvalidJobId' } },
    });
    expect(await get(`/jobs/${'x'.repeat(300)}`)).toMatchObject({ status: 400 });
  });

  it('429 with Retry-After while aicontent throttles', async () => {
    stack.emulator.setFaults({ throttle: { count: 100, retryAfterMs: 1_500 } });
    const result = await get('/jobs/1');
    expect(result).toMatchObject({ status: 429, json: { error: { code: 'UpstreamThrottled' } } });
    expect(result.headers.get('retry-after')).toBe('2');
  });

  it('503 with Retry-After while aicontent is unavailable', async () => {
    stack.emulator.setFaults({ error5xx: { count: 100 } });
    const result = await get('/jobs/1');
    expect(result).toMatchObject({ status: 503, json: { error: { code: 'UpstreamUnavailable' } } });
    expect(result.headers.get('retry-after')).toBeTruthy();
  });

  it('502 naming the gateway code when aicontent refuses our credentials', async () => {
    expired = true;
    const result = await get('/jobs/1');
    expect(result).toMatchObject({ status: 502, json: { error: { code: 'UpstreamRejected' } } });
    expect(result.json.error.message).toContain('InvalidSecurityToken.Expired');
  });

  it('405 for a wrong method, 404 for a wrong path', async () => {
    const wrongMethod = await get('/jobs/1', { method: 'POST', body: '{}' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, DELETE');
    expect(await get('/elsewhere')).toMatchObject({ status: 404, json: { error: { code: 'NotFound' } } });
  });

  it.each([
    ['PUT', '/jobs/1'],
    ['PATCH', '/jobs/1'],
    ['OPTIONS', '/jobs/1'],
    ['DELETE', '/jobs'],
  ])(
    '%s %s, which s.yaml lets through the trigger, is answered 405 in our envelope, not by the gateway',
    async (method, path) => {
      const result = await get(path, { method });
      expect(result.status).toBe(405);
      expect(result.json).toEqual({
        error: { code: 'MethodNotAllowed', message: expect.any(String), requestId: expect.any(String) },
      });
    },
  );

  it('signs every invocation with the credentials of that invocation', async () => {
    const before = handedOut.length;
    const id = stack.emulator.createJob();
    await get(`/jobs/${id}`);
    await get(`/jobs/${id}`);
    const used = handedOut.slice(before).map((credentials) => credentials.accessKeyId);
    expect(used.length).toBeGreaterThanOrEqual(2);
    expect(new Set(used).size).toBe(used.length);
  });
});

describe('query function by invocation (e2e)', () => {
  it('answers a direct invocation with the same body, no HTTP envelope', async () => {
    const id = stack.emulator.createJob({ schedule: { waitScheduleMs: 0, inferringMs: 0 } });
    const response = await fetch(`${api}/invoke/aicontent-jobs-query`, {
      method: 'POST',
      body: JSON.stringify({ inferenceJobId: id }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      job: { id, state: 'succeeded' },
      terminal: true,
      retryAfterSeconds: 0,
    });
  });

  it('answers an invocation through @alicloud/fc2, as a function still on FC 2.0 would chain to it', async () => {
    const id = stack.emulator.createJob({ schedule: { waitScheduleMs: 0, inferringMs: 0, outcome: 'OOM' } });
    await get(`/jobs/${id}`); // makes sure the runtime has handed out credentials to sign with
    const credentials = handedOut.at(-1) as IssuedCredentials;
    const FCClient = createRequire(import.meta.url)('@alicloud/fc2');
    const client = new FCClient('1234567890123456', {
      accessKeyID: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret,
      securityToken: credentials.securityToken,
      region: 'cn-shanghai',
      endpoint: api,
    });
    const result = await client.invokeFunction(
      'any-service',
      'aicontent-jobs-query',
      JSON.stringify({ inferenceJobId: id }),
    );
    const body = typeof result.data === 'string' ? JSON.parse(result.data) : result.data;
    expect(body).toMatchObject({ job: { id, state: 'failed', status: 'OOM' }, terminal: true });
  });
});
