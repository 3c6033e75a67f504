import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpProtocolError } from '#shared/aicontent/httpResponse.ts';
import {
  createHttpTransport,
  requestHead,
  type Transport,
  type TransportRequest,
  TransportTimeoutError,
} from '#shared/aicontent/transport.ts';
import { selfSignedCert } from '#test/helpers/selfSignedCert.ts';
import { root, tsxProcesses } from '#test/helpers/tsxProcess.ts';

interface Loopback {
  origin: URL;
  /** TCP connections accepted so far. */
  connections: number;
  /** The server side of every connection, in the order accepted. */
  sockets: Socket[];
}

/** Servers of the current test, with the server side of their connections: all closed after it. */
const servers: { server: Server; sockets: Socket[] }[] = [];
const runTsx = tsxProcesses();

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      ({ server, sockets }) =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    ),
  );
});

/** Listens on a loopback port and counts connections; the server is closed after the test. */
async function listen(server: Server, scheme = 'http'): Promise<Loopback> {
  const state: Loopback = { origin: new URL('http://unset.invalid'), connections: 0, sockets: [] };
  server.on('connection', (socket: Socket) => {
    state.connections++;
    state.sockets.push(socket);
  });
  servers.push({ server, sockets: state.sockets });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = new URL(`${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return state;
}

/** A node:http server; `requests` records what arrived. */
async function httpServer(handler: (req: IncomingMessage, res: ServerResponse, index: number) => void) {
  const requests: IncomingMessage[] = [];
  const server = createHttpServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length - 1);
  });
  server.keepAliveTimeout = 60_000;
  return Object.assign(await listen(server), { server, requests });
}

interface RawRequest {
  head: string;
  /** Requests received on this connection before this one. */
  onConnection: number;
  /** Requests received by the server before this one. */
  index: number;
}

/** A node:net server that hands each request head to `respond`, which writes whatever bytes it likes. */
async function rawServer(respond: (socket: Socket, request: RawRequest) => void) {
  const requests: RawRequest[] = [];
  const server = createNetServer((socket) => {
    let buffered = '';
    let onConnection = 0;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const request = {
          head: buffered.slice(0, end + 4),
          onConnection: onConnection++,
          index: requests.length,
        };
        buffered = buffered.slice(end + 4);
        requests.push(request);
        respond(socket, request);
      }
    });
  });
  return Object.assign(await listen(server), { requests });
}

const ok = (body: string, ...fields: string[]) => {
  const bytes = Buffer.from(body, 'utf8');
  return Buffer.concat([
    Buffer.from(
      ['HTTP/1.1 200 OK', `content-length: ${bytes.length}`, ...fields, '', ''].join('\r\n'),
      'latin1',
    ),
    bytes,
  ]);
};

const get = (transport: Transport, origin: URL, request: Partial<TransportRequest> = {}) =>
  transport({ origin, path: '/', headers: {}, timeoutMs: 2_000, ...request });

const closed = (socket: Socket | undefined) =>
  socket?.closed ? Promise.resolve() : once(socket as Socket, 'close').then(() => undefined);

describe('requestHead', () => {
  it('writes the GET line, the origin host and the given fields, in order, with CRLFs', () => {
    expect(
      requestHead('aicontent.fake.test:8443', '/api/v1/x?inferenceJobId=job%20id%2B1&b=%E4%B8%AD', {
        'x-acs-action': 'FakeAction',
        accept: 'application/json',
        'x-tab': 'a\tb',
        'x-empty': '',
      }),
    ).toBe(
      'GET /api/v1/x?inferenceJobId=job%20id%2B1&b=%E4%B8%AD HTTP/1.1\r\n' +
        'host: aicontent.fake.test:8443\r\n' +
        'x-acs-action: FakeAction\r\n' +
        'accept: application/json\r\n' +
        'x-tab: a\tb\r\n' +
        'x-empty: \r\n' +
        '\r\n',
    );
  });

  it('takes host from the origin and leaves out a host given in the headers', () => {
    expect(requestHead('127.0.0.1:9', '/', { host: 'evil.fake.test', accept: '*/*' })).toBe(
      'GET / HTTP/1.1\r\nhost: 127.0.0.1:9\r\naccept: */*\r\n\r\n',
    );
  });

  it('leaves out a host given in any letter case', () => {
    expect(requestHead('127.0.0.1:9', '/', { Host: 'evil.fake.test' })).toBe(
      'GET / HTTP/1.1\r\nhost: 127.0.0.1:9\r\n\r\n',
    );
  });

  it.each([
    ['CR LF', 'a\r\nx-injected: 1'],
    ['LF', 'a\nb'],
    ['CR', 'a\rb'],
    ['NUL', 'a\u0000b'],
    ['non-ASCII', '中文'],
  ])('rejects a value with %s', (_, value) => {
    expect(() => requestHead('fake.test', '/', { 'x-fake': value })).toThrow(TypeError);
  });

  it.each(['bad name', 'x:y', '', 'x\r\ny', 'x-中'])('rejects the header name %j', (name) => {
    expect(() => requestHead('fake.test', '/', { [name]: 'v' })).toThrow(/not a valid header field/);
  });

  it.each(['/a b', 'a', '', 'http://fake.test/', '*', '/a\r\nx: y', '/中'])('rejects the path %j', (path) => {
    expect(() => requestHead('fake.test', path, {})).toThrow(/not a request path/);
  });
});

describe('createHttpTransport', () => {
  it('returns the status, the header fields and the UTF-8 text of the response', async () => {
    const body = Buffer.from('{"message":"任务已完成 ✓"}', 'utf8');
    const loopback = await httpServer((_, res) => {
      res.writeHead(202, { 'Content-Type': 'application/json', 'X-Acs-Request-Id': 'REQ-FAKE-1' });
      // Cut inside a Chinese character: the text is decoded from the whole body.
      res.write(body.subarray(0, 14));
      res.end(body.subarray(14));
    });
    const response = await get(createHttpTransport(), loopback.origin);
    expect(response.status).toBe(202);
    expect(response.header('content-type')).toBe('application/json');
    expect(response.header('x-acs-request-id')).toBe('REQ-FAKE-1');
    expect(response.header('x-not-sent')).toBeUndefined();
    expect(response.text).toBe('{"message":"任务已完成 ✓"}');
  });

  it('sends a GET for the path with the given headers and the origin as host', async () => {
    const loopback = await httpServer((_, res) => res.end('ok'));
    await get(createHttpTransport(), loopback.origin, {
      path: '/api/v1/query?inferenceJobId=job%20id',
      headers: { host: 'evil.fake.test', 'x-acs-action': 'FakeAction', accept: 'application/json' },
    });
    const [request] = loopback.requests;
    expect(request?.method).toBe('GET');
    expect(request?.url).toBe('/api/v1/query?inferenceJobId=job%20id');
    expect(request?.headers.host).toBe(loopback.origin.host);
    expect(request?.headers['x-acs-action']).toBe('FakeAction');
    expect(request?.headers.accept).toBe('application/json');
  });

  it('rejects an invalid request without connecting', async () => {
    const loopback = await httpServer((_, res) => res.end('ok'));
    const transport = createHttpTransport();
    await expect(get(transport, loopback.origin, { path: 'no-slash' })).rejects.toThrow(TypeError);
    await expect(get(transport, loopback.origin, { headers: { 'x-fake': 'a\r\nb' } })).rejects.toThrow(
      TypeError,
    );
    await sleep(20);
    expect(loopback.connections).toBe(0);
  });

  describe('connection reuse', () => {
    it('sends sequential requests on one connection', async () => {
      const loopback = await httpServer((req, res) => res.end(`response to ${req.url}`));
      const transport = createHttpTransport();
      for (const path of ['/1', '/2', '/3']) {
        expect((await get(transport, loopback.origin, { path })).text).toBe(`response to ${path}`);
      }
      expect(loopback.requests).toHaveLength(3);
      expect(loopback.connections).toBe(1);
    });

    it('keeps one pool per transport', async () => {
      const loopback = await httpServer((_, res) => res.end('ok'));
      await get(createHttpTransport(), loopback.origin);
      await get(createHttpTransport(), loopback.origin);
      expect(loopback.connections).toBe(2);
    });

    it('does not reuse a connection after a `connection: close` response', async () => {
      const loopback = await httpServer((_, res) => {
        res.setHeader('connection', 'close');
        res.end('bye');
      });
      const transport = createHttpTransport();
      expect((await get(transport, loopback.origin)).text).toBe('bye');
      expect((await get(transport, loopback.origin)).text).toBe('bye');
      expect(loopback.connections).toBe(2);
    });

    it('reads chunked answers and reuses their connection', async () => {
      const loopback = await httpServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.write(`first ${req.url}, `);
        setTimeout(() => res.end('第二'), 5);
      });
      const transport = createHttpTransport();
      const first = await get(transport, loopback.origin, { path: '/a' });
      expect(first.header('transfer-encoding')).toBe('chunked');
      expect(first.header('content-length')).toBeUndefined();
      expect(first.text).toBe('first /a, 第二');
      expect((await get(transport, loopback.origin, { path: '/b' })).text).toBe('first /b, 第二');
      expect(loopback.connections).toBe(1);
    });

    it('does not reuse a connection whose response was framed by its end', async () => {
      const loopback = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end'));
      const transport = createHttpTransport();
      expect((await get(transport, loopback.origin)).text).toBe('until the end');
      expect((await get(transport, loopback.origin)).text).toBe('until the end');
      expect(loopback.connections).toBe(2);
    });

    it('keeps at most maxIdlePerOrigin idle connections', async () => {
      const limited = await httpServer((_, res) => res.end('ok'));
      const unlimited = await httpServer((_, res) => res.end('ok'));
      const one = createHttpTransport({ maxIdlePerOrigin: 1 });
      const many = createHttpTransport();
      for (const [transport, loopback] of [
        [one, limited],
        [many, unlimited],
      ] as const) {
        await Promise.all([get(transport, loopback.origin), get(transport, loopback.origin)]);
        expect(loopback.connections).toBe(2);
        await Promise.all([get(transport, loopback.origin), get(transport, loopback.origin)]);
      }
      // The second pair found one idle connection when only one was kept, two otherwise.
      expect(limited.connections).toBe(3);
      expect(unlimited.connections).toBe(2);
    });

    it('keeps no idle connection with maxIdlePerOrigin 0', async () => {
      const loopback = await httpServer((_, res) => res.end('ok'));
      const transport = createHttpTransport({ maxIdlePerOrigin: 0 });
      await get(transport, loopback.origin);
      await get(transport, loopback.origin);
      expect(loopback.connections).toBe(2);
    });

    it('does not reuse a connection idle for longer than maxIdleMs', async () => {
      const loopback = await httpServer((_, res) => res.end('ok'));
      const transport = createHttpTransport({ maxIdleMs: 5 });
      await get(transport, loopback.origin);
      await get(transport, loopback.origin); // at once: still within maxIdleMs
      expect(loopback.connections).toBe(1);
      await sleep(30);
      await get(transport, loopback.origin);
      expect(loopback.connections).toBe(2);
      await closed(loopback.sockets[0]); // the stale one was closed, not left open
    });

    it('does not reuse a connection that sent bytes while idle', async () => {
      const loopback = await rawServer((socket) => socket.write(ok('ok')));
      const transport = createHttpTransport();
      await get(transport, loopback.origin);
      loopback.sockets[0]?.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
      await closed(loopback.sockets[0]);
      expect((await get(transport, loopback.origin)).text).toBe('ok');
      expect(loopback.connections).toBe(2);
    });

    it('does not reuse a connection whose response had bytes left over', async () => {
      const loopback = await rawServer((socket) =>
        socket.write(Buffer.concat([ok('ok'), Buffer.from('extra')])),
      );
      const transport = createHttpTransport();
      await get(transport, loopback.origin);
      await get(transport, loopback.origin);
      expect(loopback.connections).toBe(2);
    });
  });

  describe('connections the server closes', () => {
    it('opens a new connection when the server has closed an idle one', async () => {
      const loopback = await rawServer((socket) => {
        socket.write(ok('ok'));
        setTimeout(() => socket.end(), 10); // an idle timeout, as servers have
      });
      const transport = createHttpTransport();
      await get(transport, loopback.origin);
      await closed(loopback.sockets[0]);
      expect((await get(transport, loopback.origin)).text).toBe('ok');
      expect(loopback.connections).toBe(2);
    });

    it('sends again, on a new connection, a request the server closed a reused connection on', async () => {
      // The server ends each connection right after its response, though the response allows reuse: the
      // next request, sent at once, goes out on a connection whose end has not been read yet.
      const loopback = await rawServer((socket, request) => {
        if (request.onConnection === 0) socket.end(ok(`response ${request.index}`));
      });
      const transport = createHttpTransport();
      expect((await get(transport, loopback.origin)).text).toBe('response 0');
      const second = await get(transport, loopback.origin);
      expect(second.text).toMatch(/^response [12]$/);
      expect(loopback.connections).toBe(2);
    });

    it('makes the headers afresh for the request it sends again', async () => {
      const loopback = await rawServer((socket, request) => {
        if (request.index === 0) socket.write(ok('first'));
        else if (request.index === 1) socket.destroy();
        else socket.write(ok('again'));
      });
      const transport = createHttpTransport();
      let writes = 0;
      const headers = () => ({ 'x-write': String(++writes) });
      expect((await get(transport, loopback.origin, { headers })).text).toBe('first');
      expect((await get(transport, loopback.origin, { headers })).text).toBe('again');
      expect(loopback.requests.map((request) => request.head.match(/x-write: (\d+)/)?.[1])).toEqual([
        '1',
        '2',
        '3',
      ]);
    });

    it('sends again once only: a second drop is an error', async () => {
      const loopback = await rawServer((socket, request) => {
        if (request.index === 0) socket.write(ok('first'));
        else socket.destroy();
      });
      const transport = createHttpTransport();
      expect((await get(transport, loopback.origin)).text).toBe('first');
      const failure = await get(transport, loopback.origin).catch((error: Error) => error);
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).name).not.toBe('StaleConnectionError');
      // The reused connection and one fresh one each got the request.
      expect(loopback.requests).toHaveLength(3);
      expect(loopback.connections).toBe(2);
    });

    it('does not send again a request dropped on a fresh connection', async () => {
      const loopback = await rawServer((socket) => socket.destroy());
      await expect(get(createHttpTransport(), loopback.origin)).rejects.toThrow();
      expect(loopback.requests).toHaveLength(1);
      expect(loopback.connections).toBe(1);
    });

    it('does not send again a request whose response was cut after it began', async () => {
      const loopback = await rawServer((socket, request) => {
        if (request.index === 0) socket.write(ok('first'));
        else socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npart');
      });
      const transport = createHttpTransport();
      await get(transport, loopback.origin);
      await expect(get(transport, loopback.origin)).rejects.toThrow(HttpProtocolError);
      expect(loopback.requests).toHaveLength(2);
    });
  });

  describe('failures', () => {
    it('rejects with TransportTimeoutError and discards the connection', async () => {
      const loopback = await httpServer((_, res, index) => {
        if (index > 0) res.end('late but fine');
      });
      const transport = createHttpTransport();
      const started = Date.now();
      await expect(get(transport, loopback.origin, { timeoutMs: 50 })).rejects.toThrow(TransportTimeoutError);
      expect(Date.now() - started).toBeLessThan(1_000);
      await closed(loopback.sockets[0]);
      expect((await get(transport, loopback.origin)).text).toBe('late but fine');
      expect(loopback.connections).toBe(2);
    });

    it('times out a response whose body stops coming', async () => {
      const loopback = await rawServer((socket) =>
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf'),
      );
      await expect(get(createHttpTransport(), loopback.origin, { timeoutMs: 50 })).rejects.toThrow(
        TransportTimeoutError,
      );
      await closed(loopback.sockets[0]);
    });

    it('rejects at once, without connecting, when the signal is already aborted', async () => {
      const loopback = await httpServer((_, res) => res.end('ok'));
      const reason = new Error('fake abort reason');
      await expect(
        get(createHttpTransport(), loopback.origin, { signal: AbortSignal.abort(reason) }),
      ).rejects.toBe(reason);
      await sleep(20);
      expect(loopback.connections).toBe(0);
    });

    it('rejects with the reason when aborted mid-request, and discards the connection', async () => {
      let arrived: () => void = () => {};
      const requestArrived = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const loopback = await httpServer((_, res, index) => {
        if (index === 0) arrived();
        else res.end('second');
      });
      const transport = createHttpTransport();
      const controller = new AbortController();
      const pending = get(transport, loopback.origin, { signal: controller.signal });
      await requestArrived;
      const reason = new Error('fake abort reason');
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      await closed(loopback.sockets[0]);
      // The spent signal stops the next request too; a fresh one goes out on a new connection.
      await expect(get(transport, loopback.origin, { signal: controller.signal })).rejects.toBe(reason);
      expect((await get(transport, loopback.origin)).text).toBe('second');
      expect(loopback.connections).toBe(2);
    });

    it('rejects with HttpProtocolError when the server sends garbage', async () => {
      const loopback = await rawServer((socket) => socket.write('SSH-2.0-FakeServer\r\n\r\n'));
      await expect(get(createHttpTransport(), loopback.origin)).rejects.toThrow(HttpProtocolError);
      await closed(loopback.sockets[0]);
    });

    it('rejects with HttpProtocolError when the server closes mid-head', async () => {
      const loopback = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-'));
      await expect(get(createHttpTransport(), loopback.origin)).rejects.toThrow(HttpProtocolError);
    });

    it('rejects a body over maxBodyBytes', async () => {
      const loopback = await httpServer((_, res) => res.end('x'.repeat(17)));
      const transport = createHttpTransport({ maxBodyBytes: 16 });
      await expect(get(transport, loopback.origin)).rejects.toThrow(/larger than 16 bytes/);
      const chunked = await httpServer((_, res) => {
        res.write('x'.repeat(10));
        res.end('x'.repeat(10));
      });
      await expect(get(transport, chunked.origin)).rejects.toThrow(HttpProtocolError);
    });

    it('rejects when the connection is refused', async () => {
      const server = createNetServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      await new Promise((resolve) => server.close(resolve));
      await expect(get(createHttpTransport(), new URL(`http://127.0.0.1:${port}`))).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
    });
  });

  describe('HTTPS', () => {
    let key = '';
    let cert = '';

    beforeAll(async () => {
      ({ key, cert } = await selfSignedCert('IP:127.0.0.1'));
    });

    async function httpsServer() {
      const server = createHttpsServer({ key, cert }, (req, res) => res.end(`secure ${req.url} 安全`));
      server.keepAliveTimeout = 60_000;
      return listen(server, 'https');
    }

    it('verifies the server with the given CA and reuses the TLS connection', async () => {
      const loopback = await httpsServer();
      const transport = createHttpTransport({ tls: { ca: cert } });
      expect((await get(transport, loopback.origin, { path: '/1' })).text).toBe('secure /1 安全');
      expect((await get(transport, loopback.origin, { path: '/2' })).text).toBe('secure /2 安全');
      expect(loopback.connections).toBe(1);
    });

    it('refuses a certificate it cannot verify', async () => {
      const loopback = await httpsServer();
      await expect(get(createHttpTransport(), loopback.origin)).rejects.toMatchObject({
        code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      });
    });
  });

  it('does not keep the process alive with an idle connection', async () => {
    const loopback = await httpServer((_, res) => res.end('from the test process'));
    const dir = await mkdtemp(join(tmpdir(), 'transport-exit-'));
    try {
      const script = join(dir, 'probe.mts');
      const transportUrl = pathToFileURL(join(root, 'shared/aicontent/transport.ts')).href;
      await writeFile(
        script,
        [
          `import { createHttpTransport } from ${JSON.stringify(transportUrl)};`,
          'const transport = createHttpTransport();',
          'const response = await transport({ origin: new URL(process.argv[2]), path: "/", headers: {}, timeoutMs: 5000 });',
          'console.log(response.status, response.text);',
        ].join('\n'),
      );
      const probe = runTsx([script, loopback.origin.href]);
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        probe.exit,
        new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve('still running after 8 s'), 8_000);
        }),
      ]);
      clearTimeout(timer);
      expect(probe.stdout() + probe.stderr()).toContain('200 from the test process');
      expect(code).toBe(0);
      // The connection was kept alive by the server: the child exited with it open and idle.
      expect(loopback.connections).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 15_000);
});
