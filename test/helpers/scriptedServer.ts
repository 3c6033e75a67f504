/**
 * A loopback HTTP server that responds from a script, one step per request, and records what it got
 * (method, URL, headers and body).
 * For client tests that need an exact response (a given status, header, body, or a dropped connection);
 * tests that need a faithful aicontent use the emulator instead.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import {
  type Credentials,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  signature,
  stringToSign,
} from '#shared/signing/acs3.ts';

export type Step =
  | { status: number; body: string | object; headers?: Record<string, string>; delayMs?: number }
  | 'drop';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The body as UTF-8, complete once the response was sent. */
  body: string;
}

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  connections: number;
  /** Steps still to serve; when empty every request gets `fallback`. */
  script: Step[];
  close(): Promise<void>;
}

export async function startScriptedServer(script: Step[] = [], fallback?: Step): Promise<ScriptedServer> {
  const state: ScriptedServer = { url: '', requests: [], connections: 0, script, close: async () => {} };
  const server = createServer((req, res) => {
    const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' };
    state.requests.push(recorded);
    const step = state.script.shift() ?? fallback ?? { status: 500, body: 'script exhausted' };
    if (step === 'drop') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      recorded.body = Buffer.concat(chunks).toString('utf8');
      const body = typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
      setTimeout(() => {
        res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
        res.end(body);
      }, step.delayMs ?? 0);
    });
  });
  server.on('connection', () => {
    state.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/**
 * For a test file's top level: a `startScriptedServer` whose servers are all closed after each test.
 */
export function scriptedServers(): typeof startScriptedServer {
  const open: ScriptedServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((server) => server.close()));
  });
  return async (script, fallback) => {
    const server = await startScriptedServer(script, fallback);
    open.push(server);
    return server;
  };
}

/** The envelope aicontent responds to a query with. */
export function jobResponse(data: object, requestId = 'REQ-OK'): Step {
  return {
    status: 200,
    headers: { 'x-acs-request-id': requestId },
    body: { requestId, success: true, errCode: null, errMessage: null, data },
  };
}

/** The OpenAPI gateway's error body. */
export function gatewayError(status: number, code: string, headers: Record<string, string> = {}): Step {
  return {
    status,
    headers: { 'x-acs-request-id': `REQ-${code}`, ...headers },
    body: {
      RequestId: `REQ-${code}`,
      HostId: 'aicontent.aliyuncs.com',
      Code: code,
      Message: `${code} happened`,
    },
  };
}

export const sha256Hex = (body: string) => createHash('sha256').update(body, 'utf8').digest('hex');

/**
 * What the gateway does: rebuild the canonical request from the method, path and query that arrived,
 * the headers the signature names and the body's hash, and sign it with the caller's secret. Returns
 * the signature the `authorization` header should carry.
 */
export function expectedAcs3Signature(
  request: RecordedRequest,
  body: string,
  credentials: Credentials,
): string {
  const url = new URL(request.url, 'http://unused');
  const signedNames = request.headers.authorization?.match(/SignedHeaders=([^,]+)/)?.[1] ?? '';
  const signed = Object.fromEntries(
    signedNames.split(';').map((name) => [name, String(request.headers[name])]),
  );
  const canonical = canonicalRequest(
    request.method,
    url.pathname,
    canonicalQuery(Object.fromEntries(url.searchParams)),
    canonicalHeaders(signed),
    sha256Hex(body),
  );
  return signature(credentials.accessKeySecret, stringToSign(canonical));
}
