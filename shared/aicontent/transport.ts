/**
 * How the client puts a request on the wire: Node's `http`/`https` with keep-alive agents, so calls
 * reuse connections across requests and across invocations of a warm instance.
 *
 * Not `fetch`: measured here (README "Performance"), undici's `fetch` costs about three times the CPU
 * per request of `http.request`, and the sweeper makes thousands of requests per tick. For the same
 * reason the time limit is a plain timer, not `AbortSignal.timeout` (which costs as much as the rest).
 */
import http from 'node:http';

export interface TransportAnswer {
  status: number;
  /** A response header by lower-case name. */
  header(name: string): string | undefined;
  text: string;
}

export interface TransportInit {
  headers: Record<string, string>;
  /** The request fails with {@link TransportTimeoutError} when it has not finished by then. */
  timeoutMs: number;
  /** Aborts the request. */
  signal?: AbortSignal | undefined;
}

export type Transport = (url: string, init: TransportInit) => Promise<TransportAnswer>;

export class TransportTimeoutError extends Error {
  override name = 'TransportTimeoutError';
}

interface Client {
  request: typeof http.request;
  agent: http.Agent;
}

const plain: Client = { request: http.request, agent: new http.Agent({ keepAlive: true }) };
/** `node:https` (and TLS with it) is loaded on the first HTTPS request, not at cold start. */
let secure: Promise<Client> | undefined;

function clientFor(url: string): Client | Promise<Client> {
  if (!url.startsWith('https:')) return plain;
  secure ??= import('node:https').then((https) => ({
    request: https.request,
    agent: new https.Agent({ keepAlive: true }),
  }));
  return secure;
}

export const nodeTransport: Transport = async (url, init) => send(await clientFor(url), url, init);

function send(
  client: Client,
  url: string,
  { headers, timeoutMs, signal }: TransportInit,
): Promise<TransportAnswer> {
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      { method: 'GET', headers, agent: client.agent, signal },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          clearTimeout(timer);
          const raw = response.headers;
          resolve({
            status: response.statusCode ?? 0,
            header: (name) => {
              const value = raw[name];
              return Array.isArray(value) ? value.join(', ') : value;
            },
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    const timer = setTimeout(
      () => request.destroy(new TransportTimeoutError(`no answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end();
  });
}
