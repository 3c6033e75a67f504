/**
 * How the client puts a request on the wire: Node's `http`/`https` with keep-alive agents, so calls
 * reuse connections across requests and across invocations of a warm instance.
 *
 * Not `fetch`: measured here (README "Performance"), undici's `fetch` costs about three times the CPU
 * per request of `http.request`, and the sweeper makes thousands of requests per tick. For the same
 * reason the time limit is a plain timer, not `AbortSignal.timeout` (which costs as much as the rest).
 */
import http from 'node:http';
import https from 'node:https';

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

const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

export const nodeTransport: Transport = (url, { headers, timeoutMs, signal }) =>
  new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const client = secure ? https : http;
    const agent = secure ? agents['https:'] : agents['http:'];
    const request = client.request(url, { method: 'GET', headers, agent, signal }, (response) => {
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
    });
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
