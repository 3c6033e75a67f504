/**
 * The operator console's server, on the operator's machine (never in the cloud): it serves the page
 * and forwards the page's `/api/<path>` calls to the query function's trigger at `<target>/<path>`,
 * signed by a pluggable signer (a deployed trigger takes signed requests only). It listens on
 * 127.0.0.1 only, and since whatever it forwards goes out under the operator's credentials, it
 * forwards only what the page itself sends: a request must name this server as its `Host` (no DNS
 * rebinding), carry the console's header (a cross-site form or fetch cannot without a CORS preflight,
 * which is never granted) and, if it says where it comes from, come from this server's own origin.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { triggerSignature } from '#local/cli/triggerClient.ts';
import type { CredentialsProvider } from '#shared/credentials.ts';
import { AppError } from '#shared/errors.ts';
import { CONSOLE_HEADER } from './page/consoleHeader.ts';
import { type ConsolePage, consolePage } from './page.ts';

/** A call to the query function's trigger, before it is sent. */
export interface UpstreamRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** Signs a request for the trigger (adds its headers); the console sends what it returns. */
export type RequestSigner = (request: UpstreamRequest) => UpstreamRequest | Promise<UpstreamRequest>;

/**
 * Signs each call as a trigger with `authType: function` requires (what `npm run call` sends), with
 * credentials asked afresh for every call (STS tokens rotate).
 */
export function triggerSigner(credentials: CredentialsProvider): RequestSigner {
  return async (request) => ({
    ...request,
    headers: {
      ...request.headers,
      ...(await triggerSignature(request.method, new URL(request.url), credentials)),
    },
  });
}

export interface ConsoleOptions {
  /** The query function's trigger URL, e.g. `http://127.0.0.1:9000` under `npm start`. */
  target: string;
  /** 0 (the default): a free port. */
  port?: number;
  /** Signs every forwarded call; without one they go unsigned (a local runtime takes them so). */
  sign?: RequestSigner;
  /** Longest wait for the trigger's response (default 30 s). */
  timeoutMs?: number;
  /** A line per forwarded call. */
  log?: (line: string) => void;
}

export interface ConsoleServer {
  url: string;
  port: number;
  size: ConsolePage['size'];
  close(): Promise<void>;
}

/** What the page may ask of the API, and the largest body it may send. */
const FORWARDED_METHODS = ['GET', 'POST', 'DELETE'];
const MAX_BODY_BYTES = 64 * 1024;
/** The response headers worth passing on to the page. */
const PASSED_ON_HEADERS = ['content-type', 'cache-control', 'retry-after'];

/** A call the console itself refuses or could not complete; told in the API's error envelope. */
export class ConsoleError extends AppError {
  override name = 'ConsoleError';
  constructor(code: string, message: string, statusCode: number) {
    super(code, message, { statusCode, expose: true });
  }
}

/** `http(s)://host[:port][/path]`, without a trailing slash: calls go to `<base>/<path>`. */
function targetBase(target: string): string {
  const url = new URL(target);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function sendError(response: ServerResponse, error: ConsoleError): void {
  response.writeHead(error.statusCode, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(
    JSON.stringify({ error: { code: error.code, message: error.message, requestId: randomUUID() } }),
  );
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new ConsoleError('PayloadTooLarge', `a body over ${MAX_BODY_BYTES} bytes`, 413);
    chunks.push(chunk);
  }
  return size === 0 ? undefined : Buffer.concat(chunks);
}

/** The origins the console answers to: its own, by address or as localhost. */
const ownOrigins = (port: number) => [`http://127.0.0.1:${port}`, `http://localhost:${port}`];

/** A page from a name that merely resolves to 127.0.0.1 is another site's (DNS rebinding). */
function checkHost(request: IncomingMessage, port: number): void {
  if (!ownOrigins(port).includes(`http://${request.headers.host}`)) {
    throw new ConsoleError(
      'WrongHost',
      `this console answers to ${ownOrigins(port).join(' and ')} only`,
      403,
    );
  }
}

/** Refuses an API call the page would not send (see the top of this file). */
function checkFromPage(request: IncomingMessage, port: number): void {
  checkHost(request, port);
  if (request.headers[CONSOLE_HEADER] !== '1') {
    throw new ConsoleError(
      'NotFromConsole',
      `API calls must come from the console page (${CONSOLE_HEADER})`,
      403,
    );
  }
  const from = request.headers.origin;
  if (from !== undefined && !ownOrigins(port).includes(from)) {
    throw new ConsoleError('WrongOrigin', `API calls from ${from} are refused`, 403);
  }
}

async function forward(
  request: IncomingMessage,
  response: ServerResponse,
  base: string,
  options: ConsoleOptions,
): Promise<void> {
  const method = request.method ?? 'GET';
  if (!FORWARDED_METHODS.includes(method)) {
    throw new ConsoleError(
      'MethodNotAllowed',
      `${method} is not forwarded; the API takes ${FORWARDED_METHODS.join(', ')}`,
      405,
    );
  }
  const body = await readBody(request);
  const path = (request.url ?? '/').slice('/api'.length);
  let upstream: UpstreamRequest = {
    method,
    url: `${base}${path}`,
    headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body } : {}),
  };
  if (options.sign) {
    try {
      upstream = await options.sign(upstream);
    } catch (error) {
      throw new ConsoleError('SigningFailed', `could not sign the request: ${(error as Error).message}`, 500);
    }
  }
  const started = Date.now();
  let upstreamResponse: Response;
  try {
    upstreamResponse = await fetch(upstream.url, {
      method: upstream.method,
      headers: upstream.headers,
      ...(upstream.body ? { body: upstream.body } : {}),
      // A signed request is for this URL only: a redirect is the page's to see, not to follow.
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    const cause = error as Error & { cause?: Error };
    if (cause.name === 'TimeoutError') {
      throw new ConsoleError(
        'UpstreamTimeout',
        `${base} did not answer within ${options.timeoutMs ?? 30_000} ms`,
        504,
      );
    }
    throw new ConsoleError(
      'UpstreamUnreachable',
      `cannot reach ${base}: ${cause.cause?.message ?? cause.message}`,
      502,
    );
  }
  const bytes = Buffer.from(await upstreamResponse.arrayBuffer());
  options.log?.(`${method} ${path} → ${upstreamResponse.status} (${Date.now() - started} ms)`);
  const headers: Record<string, string> = {};
  for (const name of PASSED_ON_HEADERS) {
    const value = upstreamResponse.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  response.writeHead(upstreamResponse.status, headers);
  response.end(upstreamResponse.status === 204 ? undefined : bytes);
}

function servePage(response: ServerResponse, page: ConsolePage, html: string): void {
  response.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': page.contentSecurityPolicy,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  response.end(html);
}

/** Starts the console; `url` is the page to open. */
export async function startConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const base = targetBase(options.target);
  const page = await consolePage();
  const html = page.html(base);
  let port = 0;
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    const handle = async () => {
      if (path === '/' || path === '/index.html') {
        checkHost(request, port);
        return servePage(response, page, html);
      }
      if (path.startsWith('/api/')) {
        checkFromPage(request, port);
        return forward(request, response, base, options);
      }
      throw new ConsoleError('NotFound', `no such page: ${path}`, 404);
    };
    handle().catch((error: unknown) => {
      const known =
        error instanceof ConsoleError
          ? error
          : new ConsoleError('ConsoleFailed', `the console failed: ${(error as Error).message}`, 500);
      if (response.headersSent) response.destroy();
      else sendError(response, known);
    });
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the console has no port');
  port = address.port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    size: page.size,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
