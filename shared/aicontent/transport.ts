/**
 * How the client puts a GET on the wire: a small HTTP/1.1 client on pooled keep-alive sockets (TLS
 * for https), so calls reuse connections across requests and across invocations of a warm instance.
 *
 * Not `http.request`, nor `fetch`: measured with bench/sweep.bench.ts (README "Performance"), Node's
 * http client spends about 0.07 ms more CPU per request than this one in its agent, streams and parser,
 * `fetch` three times what `http` does, and the sweeper makes thousands of requests per tick. This one
 * does what a GET needs and no more: one socket write per request, one pass over the response
 * (httpResponse.ts). For the same reason the time limit is a plain timer, not `AbortSignal.timeout`.
 * Reads arrive as plain 'data' events: reading through `onread` into one shared buffer instead saved no
 * CPU clearly above the noise when re-measured (README "Performance").
 */
import net from 'node:net';
import type tls from 'node:tls';
import { DEFAULT_MAX_BODY_BYTES, type HttpResponse, HttpResponseReader } from './httpResponse.ts';

export interface TransportResponse {
  status: number;
  /** A response header by lower-case name. */
  header(name: string): string | undefined;
  text: string;
}

export interface TransportRequest {
  /** `http(s)://host[:port]`: where to connect, and the `host` header. */
  origin: URL;
  /** Path and query, already percent-encoded. */
  path: string;
  /**
   * The header fields, or a function giving them: called for each time the request is written, so a
   * request sent again (on a new connection, after the server closed a kept-alive one) is signed afresh
   * (a signed request carries a nonce the gateway accepts once).
   */
  headers: Readonly<Record<string, string>> | (() => Readonly<Record<string, string>>);
  /** The request fails with {@link TransportTimeoutError} when it has not finished by then. */
  timeoutMs: number;
  /** Aborts the request. */
  signal?: AbortSignal | undefined;
}

/** Sends one GET and reads its response. */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

export class TransportTimeoutError extends Error {
  override name = 'TransportTimeoutError';
}

/** A kept-alive connection ended before any byte of the response came: the server had closed it. */
class StaleConnectionError extends Error {
  override name = 'StaleConnectionError';
}

export interface HttpTransportOptions {
  /** Extra TLS options for https origins, e.g. `ca` for a private CA (certificates are verified unless these say not to). */
  tls?: tls.ConnectionOptions;
  /** Idle connections kept per origin; one more is closed. Default 512, the most SWEEP_CONCURRENCY allows. */
  maxIdlePerOrigin?: number;
  /** A connection idle for longer is closed rather than reused. Default 30 s. */
  maxIdleMs?: number;
  /** Default 8 MiB. */
  maxBodyBytes?: number;
}

const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;
const REQUEST_TARGET = /^\/[\x21-\x7e]*$/;

/**
 * `GET path HTTP/1.1` and its fields, checked so that no value can break out of its line. `host` is
 * always the origin's: one given in `headers`, in any letter case, is left out.
 */
export function requestHead(host: string, path: string, headers: Readonly<Record<string, string>>): string {
  if (!REQUEST_TARGET.test(path)) throw new TypeError(`not a request path: ${JSON.stringify(path)}`);
  let head = `GET ${path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const name in headers) {
    if (name.length === 4 && name.toLowerCase() === 'host') continue;
    const value = headers[name] as string;
    if (!FIELD_NAME.test(name) || !FIELD_VALUE.test(value)) {
      throw new TypeError(`not a valid header field: ${JSON.stringify(name)}`);
    }
    head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

interface Exchange {
  reader: HttpResponseReader;
  received: boolean;
  /** Called at once with the complete response, whose body is valid only during this call. */
  settle(error: Error | undefined, response?: HttpResponse): void;
}

/** How a connection opens its socket. */
type Opener = () => net.Socket;

/** One socket; carries one exchange at a time and goes back to its pool when the response allows. */
class Connection {
  readonly socket: net.Socket;
  idleSince = 0;
  /** Exchanges completed: a reused connection may have been closed by the server meanwhile. */
  served = 0;
  #exchange: Exchange | undefined;

  constructor(
    open: Opener,
    readonly onGone: (connection: Connection) => void,
  ) {
    const socket = open();
    socket.on('data', (chunk: Buffer) => this.#data(chunk));
    socket.on('end', () => this.#end());
    socket.on('error', (error) => this.#close(error));
    socket.on('close', () => this.#close(undefined));
    this.socket = socket;
  }

  send(head: string, exchange: Exchange): void {
    this.#exchange = exchange;
    this.socket.ref();
    this.socket.write(head, 'latin1');
  }

  /** Ends the exchange with `error` and the connection with it. */
  abort(error: Error): void {
    this.#finish(error);
    this.socket.destroy();
  }

  #data(chunk: Buffer): void {
    const exchange = this.#exchange;
    if (!exchange) {
      this.socket.destroy(); // bytes nobody asked for: the connection cannot be trusted
      return;
    }
    exchange.received = true;
    let response: HttpResponse | undefined;
    try {
      response = exchange.reader.push(chunk);
    } catch (error) {
      this.abort(error as Error);
      return;
    }
    if (response) this.#finish(undefined, response);
  }

  #end(): void {
    if (!this.#exchange) return;
    try {
      this.#finish(undefined, this.#exchange.reader.end());
    } catch (error) {
      this.#close(error as Error);
    }
  }

  #close(error: Error | undefined): void {
    const exchange = this.#exchange;
    if (exchange) {
      const stale = this.served > 0 && !exchange.received;
      this.#finish(
        stale ? new StaleConnectionError('the kept-alive connection was closed', { cause: error }) : error,
      );
      if (!this.socket.destroyed) this.socket.destroy();
    }
    this.onGone(this);
  }

  #finish(error: Error | undefined, response?: HttpResponse): void {
    const exchange = this.#exchange;
    if (!exchange) return;
    this.#exchange = undefined;
    if (response) this.served++;
    exchange.settle(error ?? (response ? undefined : new Error('the connection closed')), response);
  }
}

export function createHttpTransport(options: HttpTransportOptions = {}): Transport {
  const maxIdle = options.maxIdlePerOrigin ?? 512;
  const maxIdleMs = options.maxIdleMs ?? 30_000;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const idle = new Map<string, Connection[]>();
  /** `node:tls` is loaded on the first HTTPS connection, not at cold start. */
  let tlsModule: Promise<typeof tls> | undefined;

  function poolOf(origin: URL): Connection[] {
    const key = origin.origin;
    let pool = idle.get(key);
    if (!pool) {
      pool = [];
      idle.set(key, pool);
    }
    return pool;
  }

  /** The most recently used idle connection still worth trying, if any. */
  function takeIdle(pool: Connection[]): Connection | undefined {
    const now = Date.now();
    for (let connection = pool.pop(); connection; connection = pool.pop()) {
      if (now - connection.idleSince <= maxIdleMs && !connection.socket.destroyed) return connection;
      connection.socket.destroy();
    }
    return undefined;
  }

  async function connect(origin: URL, pool: Connection[]): Promise<Connection> {
    const host = origin.hostname.replace(/^\[(.*)\]$/, '$1');
    let open: Opener;
    if (origin.protocol === 'https:') {
      tlsModule ??= import('node:tls').then((module) => module.default);
      const { connect: connectTls } = await tlsModule;
      const servername = net.isIP(host) ? undefined : host;
      open = () => {
        const socket = connectTls({ ...options.tls, host, port: Number(origin.port || 443), servername });
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 1000);
        return socket;
      };
    } else {
      const port = Number(origin.port || 80);
      open = () => net.connect({ host, port, noDelay: true, keepAlive: true });
    }
    return new Connection(open, (gone) => {
      const at = pool.indexOf(gone);
      if (at >= 0) pool.splice(at, 1);
    });
  }

  function release(connection: Connection, pool: Connection[]): void {
    if (pool.length >= maxIdle || connection.socket.destroyed) {
      connection.socket.destroy();
      return;
    }
    connection.idleSince = Date.now();
    connection.socket.unref(); // an idle connection never keeps the process alive
    pool.push(connection);
  }

  function exchange(
    connection: Connection,
    head: string,
    pool: Connection[],
    stopped: Error | undefined,
  ): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      if (stopped) {
        connection.abort(stopped); // timed out or aborted while connecting
        return reject(stopped);
      }
      connection.send(head, {
        reader: new HttpResponseReader(maxBodyBytes),
        received: false,
        settle(error, response) {
          if (error || !response) {
            reject(error);
            return;
          }
          if (response.keepAlive) release(connection, pool);
          else connection.socket.destroy();
          const { status, headers, body } = response;
          resolve({ status, header: (name) => headers.get(name), text: body.toString('utf8') });
        },
      });
    });
  }

  return async ({ origin, path, headers, timeoutMs, signal }) => {
    const headOf = () => requestHead(origin.host, path, typeof headers === 'function' ? headers() : headers);
    const head = headOf();
    signal?.throwIfAborted();
    const pool = poolOf(origin);
    let current: Connection | undefined;
    let stopped: Error | undefined;
    const stop = (error: Error) => {
      stopped ??= error;
      current?.abort(error);
    };
    const timer = setTimeout(
      () => stop(new TransportTimeoutError(`no response in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onAbort = () => stop(signal?.reason ?? new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      current = takeIdle(pool) ?? (await connect(origin, pool));
      try {
        return await exchange(current, head, pool, stopped);
      } catch (error) {
        // The server closed a kept-alive connection as we reused it: a GET is safe to send again, once,
        // with its headers made afresh (the gateway refuses a nonce it has seen, even on a dropped request).
        if (!(error instanceof StaleConnectionError)) throw error;
        current = await connect(origin, pool);
        return await exchange(current, headOf(), pool, stopped);
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  };
}

/** The transport every client shares by default: one connection pool per process. */
export const nodeTransport: Transport = createHttpTransport();
