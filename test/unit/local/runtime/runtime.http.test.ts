/**
 * HTTP triggers end to end: requests over a real socket to the runtime, the echo function answering
 * with the v1 event it got (or, under /shape/, with each kind of return value).
 */
import { rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime } from '#local/runtime/runtime.ts';
import {
  buildFixtureBundles,
  type FixtureRuntime,
  runtimeNotices,
  startFixtureRuntime,
} from '#test/helpers/localRuntime.ts';

let fixture: FixtureRuntime;
let url: string;

beforeAll(async () => {
  fixture = await startFixtureRuntime();
  url = fixture.runtime.url;
});
afterAll(() => fixture.runtime.close());

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): Record<string, unknown>;
}

/** A response read whole. */
function readWhole(response: IncomingMessage): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('error', reject);
    response.on('end', () => {
      const body = Buffer.concat(chunks);
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        body,
        json: () => JSON.parse(body.toString()),
      });
    });
  });
}

/** A request written exactly as given (repeated headers stay repeated), with node:http. */
function send(
  path: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: Buffer | string; base?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${options.base ?? url}${path}`, {
      method: options.method ?? 'GET',
      headers: options.headers,
    });
    request.on('error', reject);
    request.on('response', (response) => readWhole(response).then(resolve, reject));
    request.end(options.body);
  });
}

/** The v1 event the echo function received. */
async function eventFor(path: string, options: Parameters<typeof send>[1] = {}) {
  const response = await send(path, options);
  expect(response.status).toBe(200);
  const { event } = response.json() as {
    event: Record<string, unknown> & { requestContext: Record<string, unknown> };
  };
  return { event, response };
}

describe('the v1 event', () => {
  it('is exactly what FC builds from the request', async () => {
    const before = Date.now();
    const { event, response } = await eventFor('/jobs/a%20b/%E4%BD%A0?x=1&x=2&q=hello%20world', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Multi': ['a', 'b'], 'User-Agent': 'probe/1' },
      body: '{"k":"v"}',
    });
    const host = new URL(url).host;
    expect(event).toEqual({
      version: 'v1',
      rawPath: '/jobs/a%20b/%E4%BD%A0',
      body: '{"k":"v"}',
      isBase64Encoded: false,
      headers: {
        host,
        connection: 'keep-alive',
        'content-type': 'application/json',
        'x-multi': 'a,b',
        'user-agent': 'probe/1',
        'content-length': '9',
      },
      queryParameters: { x: '1,2', q: 'hello world' },
      requestContext: {
        accountId: '1234567890123456',
        domainName: 'fixture-echo-http.cn-hangzhou.fcapp.run',
        domainPrefix: 'fixture-echo-http',
        http: {
          method: 'POST',
          path: '/jobs/a b/你',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'probe/1',
        },
        requestId: response.headers['x-fc-request-id'],
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        timeEpoch: expect.stringMatching(/^\d{13}$/),
      },
    });
    const epoch = Number(event.requestContext.timeEpoch);
    expect(epoch).toBeGreaterThanOrEqual(before);
    expect(event.requestContext.time).toBe(`${new Date(epoch).toISOString().slice(0, 19)}Z`);
  });

  it("names the trigger's domain, whatever Host the client sent, and with none (HTTP/1.0)", async () => {
    const forged = await eventFor('/jobs/1', { headers: { host: 'evil.example' } });
    expect(forged.event.requestContext).toMatchObject({
      domainName: 'fixture-echo-http.cn-hangzhou.fcapp.run',
      domainPrefix: 'fixture-echo-http',
    });
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    // Not ended: the server answers an HTTP/1.0 request and closes the connection itself.
    socket.write('GET /jobs/1 HTTP/1.0\r\n\r\n');
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString();
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    const { event } = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as {
      event: { headers: Record<string, string>; requestContext: { domainName: string; http: object } };
    };
    expect(event.headers.host).toBeUndefined();
    expect(event.requestContext.domainName).toBe('fixture-echo-http.cn-hangzhou.fcapp.run');
    expect(event.requestContext.http).toMatchObject({ protocol: 'HTTP/1.0' });
  });

  it('carries a binary body as base64', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    const { event } = await eventFor('/upload', {
      method: 'PUT',
      headers: { 'content-type': 'image/png' },
      body: bytes,
    });
    expect(event).toMatchObject({ isBase64Encoded: true, body: bytes.toString('base64') });
  });

  it('is the same under /http/{functionName}/, minus the prefix', async () => {
    const { event } = await eventFor('/http/fixture-echo/jobs/x%2Fy?a=1');
    expect(event).toMatchObject({ rawPath: '/jobs/x%2Fy', queryParameters: { a: '1' } });
    expect(event.requestContext).toMatchObject({ http: expect.objectContaining({ path: '/jobs/x/y' }) });
    const bare = await eventFor('/http/fixture-echo');
    expect(bare.event.rawPath).toBe('/');
  });

  it('comes with the function context', async () => {
    const response = await send('/jobs/1');
    const { context } = response.json() as { context: Record<string, unknown> };
    expect(context).toMatchObject({
      requestId: response.headers['x-fc-request-id'],
      function: { name: 'fixture-echo' },
    });
  });
});

describe('the response', () => {
  it('honours statusCode, headers, base64 body, and drops forbidden headers', async () => {
    const response = await send('/shape/binary');
    expect(response.status).toBe(201);
    expect(response.body).toEqual(Buffer.from([137, 80, 78, 71, 0, 255]));
    expect(response.headers['content-type']).toBe('image/png');
    expect(response.headers['x-kept']).toBe('yes');
    expect(response.headers['x-fc-custom']).toBeUndefined();
    expect(response.headers['x-fc-request-id']).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{12}$/);
    expect(response.headers.server).toBeUndefined();
    expect(response.headers.date).not.toBe('forged');
    expect(response.headers['content-length']).toBe('6');
    expect(response.headers.connection).toBe('keep-alive');
  });

  it.each([
    ['object', 200, 'application/json', '{"hello":"world"}'],
    ['string', 200, 'text/plain; charset=utf-8', 'plain text'],
    ['text-struct', 404, undefined, 'not here'],
    ['none', 200, undefined, ''],
  ])('maps a returned %s', async (shape, status, type, body) => {
    const response = await send(`/shape/${shape}`);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toBe(type);
    expect(response.body.toString()).toBe(body);
  });

  it('maps a returned Buffer to octets', async () => {
    const response = await send('/shape/buffer');
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.body).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it.each(['big-headers', 'bad-status', 'object-body'])('answers 502 BadResponse for %s', async (shape) => {
    const response = await send(`/shape/${shape}`);
    expect(response.status).toBe(502);
    expect(response.json()).toMatchObject({
      Code: 'BadResponse',
      RequestId: response.headers['x-fc-request-id'],
    });
  });

  it("answers 502 with FC's error when the function throws", async () => {
    const response = await send('/shape/throw');
    expect(response.status).toBe(502);
    expect(response.headers['x-fc-error-type']).toBe('UnhandledInvocationError');
    expect(response.json()).toEqual({
      errorMessage: 'thrown for an HTTP event',
      errorType: 'RangeError',
      stackTrace: expect.arrayContaining([expect.stringMatching(/^at /)]),
    });
  });

  it('answers 202 at once for x-fc-invocation-type: Async, and runs the function afterwards', async () => {
    const response = await send('/jobs/async', { headers: { 'X-Fc-Invocation-Type': 'Async' } });
    expect(response.status).toBe(202);
    expect(response.body.length).toBe(0);
    const requestId = response.headers['x-fc-request-id'];
    const record = await fixture.invocationEnded((r) => r.requestId === requestId);
    expect(record).toMatchObject({
      functionName: 'fixture-echo',
      source: 'http',
      async: true,
      outcome: { ok: true },
    });
  });
});

describe('refusals', () => {
  const expectError = (response: RawResponse, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(response.json()).toEqual({
      Code: code,
      Message: expect.any(String),
      RequestId: response.headers['x-fc-request-id'],
    });
  };

  it('403 for a method the trigger does not list, as FC answers it', async () => {
    const response = await send('/jobs/1', { method: 'DELETE' });
    expectError(response, 403, 'MethodNotAllowed');
    expect(response.headers.allow).toBe('GET, POST, PUT');
  });

  it('404 for an unknown function, or one without an HTTP trigger', async () => {
    expectError(await send('/http/nope/x'), 404, 'FunctionNotFound');
    expectError(await send('/http/fixture-sleeper/'), 404, 'TriggerNotFound');
  });

  it('400 for request headers over 8 KB', async () => {
    const response = await send('/jobs/1', { headers: { 'x-big': 'a'.repeat(8 * 1024) } });
    expectError(response, 400, 'InvalidArgument');
    expect(response.json().Message).toMatch(/request headers take \d+ bytes, over FC's 8192/);
  });

  it('400 for a path over 4 KB, and for a malformed escape', async () => {
    expectError(await send(`/jobs/${'a'.repeat(4 * 1024)}`), 400, 'InvalidArgument');
    expectError(await send('/jobs/%zz'), 400, 'InvalidArgument');
  });

  it('400 EntityTooLarge for a sync body over 32 MB, before reading it', async () => {
    const response = await new Promise<RawResponse>((resolve, reject) => {
      const request = httpRequest(`${url}/jobs/1`, {
        method: 'POST',
        headers: { 'content-length': 32 * 1024 * 1024 + 1 },
      });
      request.on('error', reject);
      request.on('response', (incoming) =>
        readWhole(incoming).then((response) => {
          request.destroy();
          resolve(response);
        }, reject),
      );
      request.write('x');
    });
    expectError(response, 400, 'EntityTooLarge');
  });

  it('400 EntityTooLarge for an async body over 128 KB', async () => {
    const response = await send('/jobs/1', {
      method: 'POST',
      headers: { 'x-fc-invocation-type': 'Async' },
      body: Buffer.alloc(128 * 1024 + 1),
    });
    expectError(response, 400, 'EntityTooLarge');
  });
});

describe('several HTTP functions', () => {
  let dist: string;
  let yamlPath: string;
  beforeAll(async () => {
    // The bundles' dir holds this s.yaml too, and goes with it.
    dist = await buildFixtureBundles();
    yamlPath = join(dist, 's.yaml');
    const fn = (name: string) => `  ${name}:
    component: fc3
    props:
      functionName: ${name}-fn
      runtime: nodejs20
      code: ${dist}/echo
      handler: index.handler
      triggers:
        - { triggerName: http, triggerType: http, triggerConfig: { authType: anonymous } }
`;
    await writeFile(yamlPath, `edition: 3.0.0\nresources:\n${fn('a')}${fn('b')}`);
  });
  afterAll(() => rm(dist, { recursive: true, force: true }));

  it('serves none at the root unless rootFunction says which, and each under /http/', async () => {
    const lines: string[] = [];
    const runtime = await startLocalRuntime({
      sYamlPath: yamlPath,
      timers: false,
      log: (line) => lines.push(line),
    });
    try {
      expect(runtime.rootFunction).toBeUndefined();
      expect(runtimeNotices(lines)).toContainEqual(
        expect.objectContaining({
          msg: 'several functions have an HTTP trigger: none is served at the root; set rootFunction',
          functions: ['a-fn', 'b-fn'],
        }),
      );
      const root = await send('/x', { base: runtime.url });
      expect(root.status).toBe(400);
      expect(root.json()).toMatchObject({ Code: 'PathNotSupported' });
      const b = await send('/http/b-fn/x', { base: runtime.url });
      expect(b.json()).toMatchObject({ context: { function: { name: 'b-fn' } } });
    } finally {
      await runtime.close();
    }
    const rooted = await startLocalRuntime({
      sYamlPath: yamlPath,
      timers: false,
      rootFunction: 'b',
      log: () => {},
    });
    try {
      expect(rooted.rootFunction).toBe('b-fn');
      const root = await send('/any/path', { base: rooted.url });
      expect(root.json()).toMatchObject({
        context: { function: { name: 'b-fn' } },
        event: { rawPath: '/any/path' },
      });
    } finally {
      await rooted.close();
    }
  });

  it('refuses a rootFunction without an HTTP trigger', async () => {
    await expect(startFixtureRuntime({ rootFunction: 'fixture-sleeper' })).rejects.toThrow(
      /rootFunction fixture-sleeper is not a function with an HTTP trigger/,
    );
  });
});
