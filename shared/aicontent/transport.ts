/**
 * How the client puts a request on the wire: Node's `http`/`https` with keep-alive agents, so calls
 * reuse connections across requests and across invocations of a warm instance.
 *
 * Not `fetch`: measured here (README "Performance"), undici's `fetch` costs about three times the CPU
 * per request of `http.request`, and the sweeper makes thousands of requests per tick.
 */
import http from 'node:http';
import https from 'node:https';

export interface TransportAnswer {
  status: number;
  /** A response header by lower-case name. */
  header(name: string): string | undefined;
  text: string;
}

export type Transport = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal },
) => Promise<TransportAnswer>;

const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

export const nodeTransport: Transport = (url, { headers, signal }) =>
  new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const client = secure ? https : http;
    const agent = secure ? agents['https:'] : agents['http:'];
    const request = client.request(url, { method: 'GET', headers, agent, signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
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
    request.on('error', reject);
    request.end();
  });
