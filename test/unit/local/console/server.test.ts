/**
 * The console server on loopback, against the fake operator API: the page it serves, what it forwards
 * (and signs), what it refuses to forward, and how it reports an API it cannot reach.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/cli/cliSupport.ts';
import { CONSOLE_HEADER } from '#local/console/page/consoleHeader.ts';
import {
  type ConsoleOptions,
  type ConsoleServer,
  type RequestSigner,
  startConsole,
} from '#local/console/server.ts';
import { FAKE_ACCESS_KEY_ID, FAKE_ACCESS_KEY_SECRET } from '#local/emulator/emulator.ts';
import type { ErrorBody, JobPage } from '#shared/query/operatorApi.ts';
import { formatAcsDate, sign } from '#shared/signing/acs3.ts';
import { type FakeOperatorApi, startFakeOperatorApi } from '#test/helpers/fakeOperatorApi.ts';
import { expectedAcs3Signature, scriptedServers } from '#test/helpers/scriptedServer.ts';

const scripted = scriptedServers();
const FROM_PAGE = { [CONSOLE_HEADER]: '1' };
const CREDENTIALS = { accessKeyId: FAKE_ACCESS_KEY_ID, accessKeySecret: FAKE_ACCESS_KEY_SECRET };

let api: FakeOperatorApi;
const consoles: ConsoleServer[] = [];

beforeAll(async () => {
  api = await startFakeOperatorApi();
});
afterAll(() => api.close());
afterEach(async () => {
  await Promise.all(consoles.splice(0).map((server) => server.close()));
});

async function consoleFor(options: Partial<ConsoleOptions> = {}): Promise<ConsoleServer> {
  const server = await startConsole({ target: api.url, ...options });
  consoles.push(server);
  return server;
}

/** The error envelope of an answer. */
async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as ErrorBody).error;
}

/** A request with headers fetch would not let us set (Host). */
function rawRequest(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the page', () => {
  it('is one self-contained HTML document, locked to itself by its Content-Security-Policy', async () => {
    const server = await consoleFor();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[^']+'(;|$)/);
    expect(csp).toContain("connect-src 'self'");
    const html = await response.text();
    expect(html).toContain(`<meta name="console-target" content="${api.url}">`);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?(https?:)?\/\//i);
    expect(server.size.bytes).toBe(Buffer.byteLength(html) - Buffer.byteLength(api.url));
    // uPlot is most of it; a budget keeps the page from growing unnoticed.
    expect(server.size.bytes).toBeLessThan(120 * 1024);
  });

  it('answers anything else with a 404 in the API error envelope', async () => {
    const server = await consoleFor();
    const response = await fetch(`${server.url}favicon.ico`);
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe('NotFound');
  });
});

describe('forwarding /api/<path> to <target>/<path>', () => {
  it('passes the status, body and caching headers of each route through', async () => {
    const server = await consoleFor();
    const stats = await fetch(`${server.url}api/stats`, { headers: FROM_PAGE });
    expect(stats.status).toBe(200);
    expect(stats.headers.get('cache-control')).toBe('no-store');
    expect(await stats.json()).toEqual(api.stats());

    const page = await fetch(`${server.url}api/jobs?state=succeeded&limit=2&cursor=o2`, {
      headers: FROM_PAGE,
    });
    const body = (await page.json()) as JobPage;
    expect(body.jobs.map((job) => job.id)).toEqual(
      [...api.jobs.values()]
        .filter((job) => job.state === 'succeeded')
        .slice(2, 4)
        .map((job) => job.id),
    );
    expect(api.requests.at(-1)?.path).toBe('/jobs?state=succeeded&limit=2&cursor=o2');

    const pending = [...api.jobs.values()].find((job) => job.state === 'pending')?.id ?? '';
    const resend = await fetch(`${server.url}api/jobs/${pending}/notify`, {
      method: 'POST',
      headers: FROM_PAGE,
    });
    expect(resend.status).toBe(409);
    expect((await errorOf(resend)).code).toBe('JobNotEnded');

    const untrack = await fetch(`${server.url}api/jobs/${pending}`, { method: 'DELETE', headers: FROM_PAGE });
    expect(untrack.status).toBe(204);
    expect(await untrack.text()).toBe('');
    expect(api.jobs.has(pending)).toBe(false);
  });

  it('keeps the path of a target URL that has one', async () => {
    const server = await consoleFor({ target: `${api.url}/2023-03-30/proxy/` });
    await fetch(`${server.url}api/stats`, { headers: FROM_PAGE });
    expect(api.requests.at(-1)?.path).toBe('/2023-03-30/proxy/stats');
  });

  it('signs each call with the signer it was given, and sends what the signer returns', async () => {
    const signed: string[] = [];
    const signer: RequestSigner = (request) => {
      const url = new URL(request.url);
      signed.push(`${request.method} ${url.pathname}${url.search}`);
      const headers = sign(
        {
          method: request.method,
          pathname: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: { ...request.headers, host: url.host },
          body: request.body,
        },
        CREDENTIALS,
        { date: formatAcsDate(new Date()), nonce: randomUUID() },
      );
      return { ...request, headers };
    };
    const server = await consoleFor({ sign: signer });
    const ended = [...api.jobs.values()].find((job) => job.state === 'succeeded')?.id ?? '';
    const response = await fetch(`${server.url}api/jobs/${ended}/notify`, {
      method: 'POST',
      headers: FROM_PAGE,
      body: '{}',
    });
    expect(response.status).toBe(202);
    expect(signed).toEqual([`POST /jobs/${ended}/notify`]);
    const received = api.requests.at(-1);
    if (!received) throw new Error('nothing received');
    expect(received.body).toBe('{}');
    expect(received.headers.authorization).toContain(`Credential=${FAKE_ACCESS_KEY_ID}`);
    expect(received.headers.authorization).toContain(
      `Signature=${expectedAcs3Signature({ ...received, url: received.path }, '{}', CREDENTIALS)}`,
    );
  });

  it('says so when the signer fails, and sends nothing', async () => {
    const server = await consoleFor({
      sign: () => {
        throw new Error('no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID');
      },
    });
    const before = api.requests.length;
    const response = await fetch(`${server.url}api/stats`, { headers: FROM_PAGE });
    expect(response.status).toBe(500);
    expect(await errorOf(response)).toMatchObject({
      code: 'SigningFailed',
      message: 'could not sign the request: no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID',
    });
    expect(api.requests.length).toBe(before);
  });

  it('does not follow a redirect with a signed request', async () => {
    const elsewhere = await scripted([], { status: 200, body: {} });
    const redirecting = await scripted([
      { status: 302, body: '', headers: { location: `${elsewhere.url}/stats` } },
    ]);
    const server = await consoleFor({ target: redirecting.url });
    const response = await fetch(`${server.url}api/stats`, { headers: FROM_PAGE, redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBeNull();
    expect(elsewhere.requests).toHaveLength(0);
  });
});

describe('what the console refuses to forward', () => {
  it.each([
    ['no console header', {}, 'NotFromConsole'],
    ['another origin', { ...FROM_PAGE, origin: 'https://evil.example' }, 'WrongOrigin'],
  ])('%s: 403, nothing forwarded', async (_, headers, code) => {
    const server = await consoleFor();
    const before = api.requests.length;
    const response = await fetch(`${server.url}api/jobs/1`, { method: 'DELETE', headers });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe(code);
    expect(api.requests.length).toBe(before);
  });

  it('a Host other than its own (DNS rebinding): 403 for the page and the API', async () => {
    const server = await consoleFor();
    const before = api.requests.length;
    const host = `rebound.example:${server.port}`;
    expect((await rawRequest(server.url, { host })).status).toBe(403);
    const refused = await rawRequest(`${server.url}api/stats`, { host, ...FROM_PAGE });
    expect(refused.status).toBe(403);
    expect((JSON.parse(refused.body) as ErrorBody).error.code).toBe('WrongHost');
    expect(api.requests.length).toBe(before);
    const local = await rawRequest(`${server.url}api/stats`, {
      host: `localhost:${server.port}`,
      origin: `http://localhost:${server.port}`,
      ...FROM_PAGE,
    });
    expect(local.status).toBe(200);
  });

  it('a method the API has no use for: 405', async () => {
    const server = await consoleFor();
    const response = await fetch(`${server.url}api/stats`, { method: 'PUT', headers: FROM_PAGE, body: '{}' });
    expect(response.status).toBe(405);
    expect((await errorOf(response)).code).toBe('MethodNotAllowed');
  });

  it('a body over 64 KB: 413', async () => {
    const server = await consoleFor();
    const before = api.requests.length;
    const response = await fetch(`${server.url}api/jobs/1/notify`, {
      method: 'POST',
      headers: FROM_PAGE,
      body: 'x'.repeat(64 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe('PayloadTooLarge');
    expect(api.requests.length).toBe(before);
  });
});

describe('an API that does not answer', () => {
  it('unreachable: 502 naming the target', async () => {
    const target = `http://127.0.0.1:${await freePort()}`;
    const server = await consoleFor({ target });
    const response = await fetch(`${server.url}api/stats`, { headers: FROM_PAGE });
    expect(response.status).toBe(502);
    const error = await errorOf(response);
    expect(error.code).toBe('UpstreamUnreachable');
    expect(error.message).toContain(`cannot reach ${target}`);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('too slow: 504 after the time limit', async () => {
    const silent: Server = createServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const address = silent.address() as { port: number };
      const server = await consoleFor({ target: `http://127.0.0.1:${address.port}`, timeoutMs: 200 });
      const response = await fetch(`${server.url}api/stats`, { headers: FROM_PAGE });
      expect(response.status).toBe(504);
      expect(await errorOf(response)).toMatchObject({
        code: 'UpstreamTimeout',
        message: `http://127.0.0.1:${address.port} did not answer within 200 ms`,
      });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
