/**
 * A stand-in for the query function's operator API (GET /stats, GET /jobs?state=…, GET/DELETE
 * /jobs/{id}, POST /jobs/{id}/notify), on loopback, answering the contract's shapes from jobs it keeps
 * in memory: its `/stats` is computed from those jobs, so an untrack shows in the numbers. Seeded
 * deterministically from `now`, with enough history for the console's charts to show something.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import {
  JOB_STATES,
  type JobState,
  NOTIFICATION_STATES,
  type RecentSweep,
  type Stats,
  type Tracking,
} from '#shared/query/operatorApi.ts';

export interface FakeOperatorApi {
  url: string;
  /** Tracked jobs by id, in the order lists show them. */
  jobs: Map<string, Tracking>;
  /** Every request received. */
  requests: { method: string; path: string; headers: IncomingHttpHeaders; body: string }[];
  stats(): Stats;
  /** The next request for `METHOD /path` (path without the query) gets this error answer. */
  failNext(route: string, status: number, code: string, message: string): void;
  /** The next request for `METHOD /path` is answered as of its arrival, but `ms` later. */
  delayNext(route: string, ms: number): void;
  close(): Promise<void>;
}

const BUCKETS = [10, 30, 60, 120, 300, 600, 1800, 3600, null];

/** A small deterministic random source (mulberry32). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const POLL_ERRORS: Record<string, string> = {
  UpstreamThrottled: 'aicontent throttled the request (Throttling.User)',
  UpstreamTimeout: 'aicontent did not answer in time',
  UpstreamUnavailable: 'aicontent unavailable (ServiceUnavailable)',
};

/** Jobs of every state: mostly succeeded within a minute or two, some failed, pending and given up. */
export function demoJobs(now: number, count = 240): Tracking[] {
  const next = random(20_261_202);
  const jobs: Tracking[] = [];
  for (let i = 0; i < count; i++) {
    const id = String(171_000_000 + i * 7);
    const roll = next();
    const state: JobState =
      roll < 0.06 ? 'pending' : roll < 0.9 ? 'succeeded' : roll < 0.96 ? 'failed' : 'gave_up';
    const firstSeen = now - Math.round((count - i) * 55_000 + next() * 20_000);
    // Log-normal around 45 s, a long tail past ten minutes.
    const took = Math.round(Math.exp(Math.log(45) + (next() + next() + next() - 1.5) * 1.6) * 1000);
    const base = {
      id,
      attempts: 1 + Math.floor(next() * 6),
      firstSeenAt: iso(firstSeen) as string,
      images: [] as string[],
      notify: i % 5 === 0 ? 'webhook https://hooks.example.com/aicontent' : null,
      notifyAttempts: 0,
      reason: null,
      lastError: null,
    };
    if (state === 'pending') {
      const code = Object.keys(POLL_ERRORS)[i % 3] as string;
      jobs.push({
        ...base,
        firstSeenAt: iso(now - Math.round(5_000 + next() * 80_000)) as string,
        state,
        status: i % 2 ? 'INFERRING' : 'WAIT_SCHEDULE',
        nextPollAt: iso(now + Math.round((next() - 0.3) * 30_000)),
        lastPolledAt: iso(now - Math.round(next() * 20_000)),
        lastError: i % 2 ? { code, message: POLL_ERRORS[code] as string } : null,
        finishedAt: null,
        notification: 'none',
      });
      continue;
    }
    const finishedAt = state === 'gave_up' ? firstSeen + 86_400_000 : firstSeen + took;
    jobs.push({
      ...base,
      state,
      status: state === 'succeeded' ? 'FINISHED' : state === 'failed' ? 'OOM' : 'INFERRING',
      nextPollAt: null,
      lastPolledAt: iso(finishedAt),
      images: state === 'succeeded' ? ['0000.png', '0001.png'] : [],
      finishedAt: iso(finishedAt),
      reason: state === 'gave_up' ? 'tracked longer than MAX_JOB_AGE_SECONDS (86400 s)' : null,
      lastError:
        state === 'gave_up'
          ? { code: 'UpstreamTimeout', message: POLL_ERRORS.UpstreamTimeout as string }
          : null,
      notification: i % 41 === 3 ? 'failed' : i % 53 === 5 ? 'pending' : 'sent',
      notifyAttempts: i % 41 === 3 ? 4 : 1,
    });
  }
  return jobs;
}

/** Twenty sweeps a minute apart, newest first, with throttling now and then. */
export function demoSweeps(now: number, count = 20): RecentSweep[] {
  const next = random(7);
  return Array.from({ length: count }, (_, i) => {
    const claimed = 20 + Math.floor(next() * 40);
    const throttled = i % 4 === 1 ? 2 + Math.floor(next() * 6) : 0;
    const timeouts = i % 7 === 2 ? 1 + Math.floor(next() * 3) : 0;
    const unavailable = i === 11 ? 5 : 0;
    const errors: Record<string, number> = {};
    if (throttled) errors.UpstreamThrottled = throttled;
    if (timeouts) errors.UpstreamTimeout = timeouts;
    if (unavailable) errors.UpstreamUnavailable = unavailable;
    const succeeded = Math.floor(claimed * 0.3);
    const failed = i % 3 === 0 ? 1 : 0;
    return {
      startedAt: iso(now - 30_000 - i * 60_000) as string,
      durationMs: Math.round(300 + claimed * 12 + throttled * 150 + next() * 200),
      claimed,
      succeeded,
      failed,
      gaveUp: 0,
      rescheduled: claimed - succeeded - failed,
      notified: succeeded + failed,
      notifyFailed: i === 5 ? 1 : 0,
      throttled,
      errors,
    };
  });
}

/** `/stats` of these jobs and sweeps, as the contract defines it. */
export function statsOf(jobs: Iterable<Tracking>, sweeps: RecentSweep[], now: number): Stats {
  const all = [...jobs];
  const count = <K extends string>(keys: readonly K[], pick: (job: Tracking) => string) =>
    Object.fromEntries(keys.map((key) => [key, all.filter((job) => pick(job) === key).length])) as Record<
      K,
      number
    >;
  const pending = all.filter((job) => job.state === 'pending');
  const times = all
    .filter((job) => (job.state === 'succeeded' || job.state === 'failed') && job.finishedAt)
    .map((job) => (Date.parse(job.finishedAt as string) - Date.parse(job.firstSeenAt)) / 1000)
    .sort((a, b) => a - b);
  const quantile = (q: number) => (times.length ? (times[Math.ceil(q * times.length) - 1] as number) : null);
  return {
    generatedAt: iso(now) as string,
    jobs: count(JOB_STATES, (job) => job.state),
    notifications: count(NOTIFICATION_STATES, (job) => job.notification),
    dueNow: pending.filter((job) => job.nextPollAt !== null && Date.parse(job.nextPollAt) <= now).length,
    oldestPendingAgeSeconds: pending.length
      ? (now - Math.min(...pending.map((job) => Date.parse(job.firstSeenAt)))) / 1000
      : null,
    timeToFinish: {
      count: times.length,
      p50Seconds: quantile(0.5),
      p95Seconds: quantile(0.95),
      maxSeconds: times.at(-1) ?? null,
      histogram: BUCKETS.map((upTo, i) => ({
        upToSeconds: upTo,
        count: times.filter((t) => t > (BUCKETS[i - 1] ?? 0) && (upTo === null || t <= upTo)).length,
      })),
    },
    sweeps,
  };
}

function reply(response: ServerResponse, status: number, body?: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}

let requestIds = 0;
const error = (code: string, message: string) => ({
  error: { code, message, requestId: `fake-${++requestIds}` },
});

export interface FakeOperatorApiOptions {
  /** The clock of the seeded data and of `/stats` (default: now). */
  now?: number;
  jobs?: Tracking[];
  sweeps?: RecentSweep[];
}

export async function startFakeOperatorApi(options: FakeOperatorApiOptions = {}): Promise<FakeOperatorApi> {
  const now = options.now ?? Date.now();
  const jobs = new Map((options.jobs ?? demoJobs(now)).map((job) => [job.id, job]));
  const sweeps = options.sweeps ?? demoSweeps(now);
  const failures = new Map<string, { status: number; code: string; message: string }>();
  const delays = new Map<string, number>();
  const requests: FakeOperatorApi['requests'] = [];

  const route = (method: string, url: URL): { status: number; body?: unknown } => {
    const failure = failures.get(`${method} ${url.pathname}`);
    if (failure) {
      failures.delete(`${method} ${url.pathname}`);
      return { status: failure.status, body: error(failure.code, failure.message) };
    }
    if (url.pathname === '/stats' && method === 'GET')
      return { status: 200, body: statsOf(jobs.values(), sweeps, now) };
    if (url.pathname === '/jobs' && method === 'GET') {
      const state = url.searchParams.get('state') as JobState;
      if (!JOB_STATES.includes(state)) return { status: 400, body: error('InvalidState', 'bad state') };
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const cursor = url.searchParams.get('cursor');
      const offset = cursor === null ? 0 : /^o\d+$/.test(cursor) ? Number(cursor.slice(1)) : Number.NaN;
      if (Number.isNaN(offset))
        return { status: 400, body: error('InvalidCursor', 'cursor must be one a page returned') };
      const matching = [...jobs.values()].filter((job) => job.state === state);
      const page = matching.slice(offset, offset + limit);
      return {
        status: 200,
        body: { jobs: page, cursor: offset + limit < matching.length ? `o${offset + limit}` : null },
      };
    }
    const match = /^\/jobs\/([^/]+)(\/notify)?$/.exec(url.pathname);
    if (!match) return { status: 404, body: error('NotFound', `no route for ${url.pathname}`) };
    const id = decodeURIComponent(match[1] as string);
    const tracking = jobs.get(id);
    if (!match[2] && method === 'GET') {
      if (!tracking) return { status: 404, body: error('JobNotFound', 'no such inference job') };
      const terminal = tracking.state !== 'pending';
      return {
        status: 200,
        body: {
          job: {
            id,
            status: tracking.status,
            state: tracking.state,
            terminal,
            modelId: 'girl_portrait_v2',
            progress: terminal ? 1 : 0.4,
          },
          terminal,
          retryAfterSeconds: terminal ? 0 : 10,
          tracking,
        },
      };
    }
    if (!tracking) return { status: 404, body: error('NotTracked', `job ${id} is not tracked`) };
    if (!match[2] && method === 'DELETE') {
      jobs.delete(id);
      return { status: 204 };
    }
    if (match[2] && method === 'POST') {
      if (tracking.state === 'pending')
        return { status: 409, body: error('JobNotEnded', `job ${id} is still pending`) };
      const resent: Tracking = { ...tracking, notification: 'pending', notifyAttempts: 0 };
      jobs.set(id, resent);
      return { status: 202, body: { tracking: resent } };
    }
    return { status: 405, body: error('MethodNotAllowed', `${method} is not allowed here`) };
  };

  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    requests.push({ method, path: `${url.pathname}${url.search}`, headers: request.headers, body });
    const routed = route(method, url);
    const delay = delays.get(`${method} ${url.pathname}`) ?? 0;
    delays.delete(`${method} ${url.pathname}`);
    setTimeout(() => reply(response, routed.status, routed.body), delay);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    jobs,
    requests,
    stats: () => statsOf(jobs.values(), sweeps, now),
    failNext: (route, status, code, message) => failures.set(route, { status, code, message }),
    delayNext: (route, ms) => delays.set(route, ms),
    close: async () => {
      server.close();
      server.closeAllConnections();
      await once(server, 'close');
    },
  };
}
