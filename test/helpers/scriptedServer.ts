/**
 * A loopback HTTP server that answers from a script, one step per request, and records what it got.
 * For client tests that need an exact answer (a given status, header, body, or a dropped connection);
 * tests that need a faithful aicontent use the emulator instead.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Step =
  | { status: number; body: string | object; headers?: Record<string, string>; delayMs?: number }
  | 'drop';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
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
    state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const step = state.script.shift() ?? fallback ?? { status: 500, body: 'script exhausted' };
    if (step === 'drop') {
      req.socket.destroy();
      return;
    }
    const body = typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
    setTimeout(() => {
      res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
      res.end(body);
    }, step.delayMs ?? 0);
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

/** The envelope aicontent answers a query with. */
export function jobAnswer(data: object, requestId = 'REQ-OK'): Step {
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
