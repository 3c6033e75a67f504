/**
 * The aicontent emulator: an HTTP server that responds like the aicontent ROA API behind its gateway.
 *
 * Each request to the API goes: fault plan (latency, then maybe a fault in place of the response) →
 * gateway checks (`RequestVerifier`: signature, date, nonce, AccessKey, STS token) → the API
 * (`serveApi`). Requests under `/_emulator/` go to the local admin endpoints instead, with no signature
 * and no faults. Every response carries `x-acs-request-id`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { maskSecrets } from '#shared/log.ts';
import { ADMIN_PREFIX, serveAdmin } from './admin.ts';
import { serveApi } from './api.ts';
import { FaultPlan, type Faults, faultResponse } from './faults.ts';
import { gatewayError, gatewayResponse } from './gatewayErrors.ts';
import { checkJobSpec, DEFAULT_SCHEDULE, type JobSchedule, type JobSpec } from './jobSpec.ts';
import { JobTable } from './jobs.ts';
import type { RequestContext, ResponseOrDrop } from './response.ts';
import { type StsCredentials, StsIssuer } from './sts.ts';
import { RequestVerifier } from './verify.ts';

/** The AccessKey pair accepted by default: obviously fake, never a real key. */
export const FAKE_ACCESS_KEY_ID = 'LTAI5tEMULATORFAKEKEY0';
export const FAKE_ACCESS_KEY_SECRET = 'EmulatorFakeSecretNotARealKey000';
const DEFAULT_STS_TTL_MS = 3600_000;

export interface EmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The one permanent AccessKey pair accepted; default the fake pair above. */
  accessKeyId?: string;
  accessKeySecret?: string;
  /**
   * The id of the first job created without one (default 1); the next get the numbers after it. A stack
   * whose job store outlives the emulator starts higher, so that a new job never takes the id of a job
   * tracked before a restart.
   */
  firstJobId?: number;
  /** Default job timing, merged over 2 s WAIT_SCHEDULE + 8 s INFERRING → FINISHED. */
  schedule?: Partial<JobSchedule>;
  faults?: Faults;
  /** Epoch ms; default `Date.now`. Drives job states, the 15-minute date window, nonces and STS expiry. */
  clock?: () => number;
  /** In [0, 1); default `Math.random`. Used for fault decisions only: pass `seededRandom(n)` to replay them. */
  random?: () => number;
  /** Called with one line per request (method, path, status, duration, request id); never headers. */
  log?: (line: string) => void;
}

export interface EmulatorStats {
  /** TCP connections accepted: fewer than requests when clients reuse keep-alive connections. */
  connections: number;
  /** HTTP requests received, admin ones included. */
  requests: number;
  /** Requests to the aicontent API (not `/_emulator/`). */
  apiRequests: number;
  /** Requests met by destroying the socket. */
  dropped: number;
  /** Replies sent, by HTTP status. */
  byStatus: Record<number, number>;
}

export interface Emulator {
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  /** Live counters (read them, do not write). */
  readonly stats: Readonly<EmulatorStats>;
  close(): Promise<void>;
  /** Temporary credentials the emulator accepts (default 1 hour); not stored anywhere. */
  mintStsCredentials(ttlMs?: number): StsCredentials;
  /** Adds a job; returns its id. Throws `JobSpecError` on a bad spec. */
  createJob(spec?: JobSpec): string;
  /** Replaces the faults in force (counts and every-Nth restart). */
  setFaults(faults: Faults): void;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? Date.now;
  const random = options.random ?? Math.random;
  const accessKeyId = options.accessKeyId ?? FAKE_ACCESS_KEY_ID;
  const accessKeySecret = options.accessKeySecret ?? FAKE_ACCESS_KEY_SECRET;
  const sts = new StsIssuer();
  const verifier = new RequestVerifier({ accessKeyId, accessKeySecret, sts });
  // The default schedule is checked as a job spec's schedule is: a bad one fails here, not per job.
  const schedule = checkJobSpec({ schedule: options.schedule ?? {} }).schedule;
  const jobs = new JobTable({ ...DEFAULT_SCHEDULE, ...schedule }, options.firstJobId);
  let plan = new FaultPlan(options.faults ?? {}, random);
  const stats: EmulatorStats = { connections: 0, requests: 0, apiRequests: 0, dropped: 0, byStatus: {} };
  const mintSts = (ttlMs = DEFAULT_STS_TTL_MS) => sts.mint(clock(), ttlMs);

  async function respond(
    request: IncomingMessage,
    ctx: RequestContext,
    body: Buffer,
  ): Promise<ResponseOrDrop> {
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    const pathname = queryAt < 0 ? url : url.slice(0, queryAt);
    const method = request.method ?? 'GET';
    if (pathname.startsWith(ADMIN_PREFIX)) {
      return serveAdmin(method, pathname, body, { jobs, now: clock(), mintSts, stats: () => stats });
    }
    stats.apiRequests += 1;
    const decision = plan.next();
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    const real = (): ResponseOrDrop => {
      const rawQuery = queryAt < 0 ? '' : url.slice(queryAt + 1);
      const now = clock();
      const verdict = verifier.verify(
        { method, pathname, rawQuery, rawHeaders: request.rawHeaders, body },
        now,
      );
      if (!verdict.ok) return gatewayError(ctx, verdict.code, verdict.detail);
      // Verified, so every parameter name is there once.
      const query = Object.fromEntries(new URLSearchParams(rawQuery));
      const { action, version } = verdict;
      return serveApi(
        { ctx, method, pathname, query, body, now, action, version },
        { jobs, faults: () => plan.faults },
      );
    };
    return decision.fault ? faultResponse(decision.fault, ctx, plan.faults, real) : real();
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    stats.requests += 1;
    const ctx: RequestContext = { requestId: randomUUID().toUpperCase(), host: request.headers.host ?? host };
    let toSend: ResponseOrDrop;
    try {
      toSend = await respond(request, ctx, await readBody(request));
    } catch (error) {
      // A bug in the emulator, or the client went away mid-body (then nobody reads this response).
      toSend = gatewayResponse(ctx, 500, 'InternalError', `The emulator failed: ${String(error)}`);
    }
    let outcome: string;
    if (toSend === 'drop') {
      stats.dropped += 1;
      request.socket.destroy();
      outcome = 'dropped';
    } else {
      stats.byStatus[toSend.status] = (stats.byStatus[toSend.status] ?? 0) + 1;
      response.writeHead(toSend.status, {
        ...toSend.headers,
        'content-length': Buffer.byteLength(toSend.body),
        'x-acs-request-id': ctx.requestId,
      });
      response.end(toSend.body);
      outcome = String(toSend.status);
    }
    const ms = (performance.now() - started).toFixed(1);
    options.log?.(maskSecrets(`${request.method} ${request.url} ${outcome} ${ms}ms ${ctx.requestId}`));
  }

  const server = createServer((request, response) => {
    // `handle` turns its own failures into responses; this only keeps a failure to write from crashing the server.
    handle(request, response).catch((error: unknown) => {
      options.log?.(maskSecrets(`${request.method} ${request.url} failed: ${String(error)}`));
      response.destroy();
    });
  });
  server.on('connection', () => {
    stats.connections += 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    accessKeyId,
    accessKeySecret,
    stats,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Idle keep-alive connections would otherwise hold close() open until they time out.
        server.closeAllConnections();
      }),
    mintStsCredentials: mintSts,
    createJob: (spec = {}) => jobs.create(checkJobSpec(spec), clock()).id,
    setFaults: (faults) => {
      plan = new FaultPlan(faults, random);
    },
  };
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
