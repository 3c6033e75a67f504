/**
 * What `GET /jobs` shows of a job is no window onto the deployment's network: a caller's own webhook
 * fails with one and the same `lastError` whether its port is closed, speaks something else than HTTP,
 * answers 404 or 500, never answers, or its host does not exist; the log has the difference. Webhook
 * URLs show without query string or user info.
 */
import { createServer as createHttpServer } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJob } from '#shared/aicontent/job.ts';
import { readSweepPolicy } from '#shared/config.ts';
import type { NotifyTarget, TrackedJob } from '#shared/jobs/jobStore.ts';
import { sweep } from '#shared/jobs/sweep.ts';
import { trackingView } from '#shared/jobs/tracking.ts';
import { createLogger } from '#shared/log.ts';
import { createNotifier } from '#shared/notify/notifier.ts';
import { WEBHOOK_FAILED } from '#shared/notify/notifyError.ts';
import { targetAllowlist } from '#shared/notify/targetAllowlist.ts';
import { listReply } from '#shared/query/trackingReplies.ts';
import { createMemoryStore } from '#shared/stores/memoryStore.ts';
import { forbidSystemDns, STS, stubResolver, WEBHOOK_SECRET } from '#test/helpers/notifyTargets.ts';

forbidSystemDns();

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function listening(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

/** A loopback HTTP server answering every request with `status` (never, for 0). */
async function httpServer(status: number): Promise<number> {
  const server = createHttpServer((req, res) => {
    req.resume();
    if (status) req.on('end', () => res.writeHead(status).end('{"detail":"from the receiver"}'));
  });
  closers.push(() => server.closeAllConnections());
  return listening(server);
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A port that speaks another protocol and hangs up. */
async function notHttp(): Promise<number> {
  const server = net.createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n'));
  return listening(server);
}

/** `NOTIFY_TARGETS_ALLOWED` for these webhooks: each one's origin. */
function allowlistOf(targets: (NotifyTarget | undefined)[]): string {
  const origins = targets.flatMap((target) =>
    target?.type === 'webhook' ? [new URL(target.url).origin] : [],
  );
  return origins.map((origin) => `url:${origin}/`).join(',');
}

async function sweepOnce(jobs: Record<string, NotifyTarget | undefined>, defaultTarget?: NotifyTarget) {
  const store = createMemoryStore();
  const lines: Record<string, unknown>[] = [];
  for (const [id, notify] of Object.entries(jobs)) await store.track({ id, notify, now: 0 });
  const notifier = createNotifier({
    accountId: '123',
    region: 'cn-shanghai',
    credentials: () => STS,
    defaultTarget,
    webhookSecret: WEBHOOK_SECRET,
    allowHttpWebhooks: true,
    allowPrivateAddresses: true,
    allowedTargets: targetAllowlist(allowlistOf(Object.values(jobs))),
    resolve: stubResolver({}),
    attemptTimeoutMs: 300,
  });
  const summary = await sweep(
    {
      store,
      notifier,
      owner: 'sweeper-1',
      log: createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) }),
      query: async (id) => ({ job: parseJob({ id, jobStatus: 'FINISHED', resultImageUrl: [] }, id) }),
    },
    { ...readSweepPolicy({}), concurrency: 8 },
    { deadline: Date.now() + 20_000 },
  );
  const stored = new Map<string, TrackedJob>();
  for (const id of Object.keys(jobs)) stored.set(id, (await store.get(id)) as TrackedJob);
  return { summary, stored, lines, store };
}

describe('lastError of a caller’s own webhook', () => {
  it('is the same whatever the failure, and the log tells them apart', async () => {
    const hook = (port: number, host = '127.0.0.1'): NotifyTarget => ({
      type: 'webhook',
      url: `http://${host}:${port}/hook?token=secret-token`,
    });
    const jobs = {
      closed: hook(await closedPort()),
      notHttp: hook(await notHttp()),
      http404: hook(await httpServer(404)),
      http500: hook(await httpServer(500)),
      silent: hook(await httpServer(0)),
      unknownHost: hook(80, 'nowhere.example.test'),
    };
    const { summary, stored, lines } = await sweepOnce(jobs);
    expect(summary).toMatchObject({ succeeded: 6, notifyFailed: 6 });
    for (const [id, job] of stored) {
      expect(job.lastError, id).toBe(WEBHOOK_FAILED);
      expect(job.notification, id).toBe('pending');
    }
    const logged = JSON.stringify(lines);
    for (const detail of ['ECONNREFUSED', 'HTTP 404', 'HTTP 500', 'ENOTFOUND', 'Timeout']) {
      expect(logged).toContain(detail);
    }
    expect(logged).not.toContain('secret-token');
  });
});

describe('lastError of the deployment’s own target', () => {
  it('names the kind of failure with a message of ours, never the transport’s text', async () => {
    const port = await closedPort();
    const { stored } = await sweepOnce(
      { own: undefined },
      { type: 'webhook', url: `http://127.0.0.1:${port}/receiver` },
    );
    const lastError = stored.get('own')?.lastError;
    expect(lastError).toBe('NetworkError: the target could not be reached');
  });
});

describe('tracking views', () => {
  it('show a webhook URL without its query string or user info, in lists and on POST', async () => {
    const store = createMemoryStore();
    const notify: NotifyTarget = {
      type: 'webhook',
      url: 'https://hooks.example.test/done?token=secret-token',
    };
    const { job } = await store.track({ id: 'j1', notify, now: 0 });
    if (!job) throw new Error('not tracked');
    expect(trackingView(job).notify).toBe('webhook https://hooks.example.test/done');
    const listed = await listReply(store, { state: 'pending', limit: 10 });
    expect(JSON.stringify(listed.body)).not.toContain('secret-token');
    expect(trackingView({ ...job, notify: { type: 'function', name: 'f' } }).notify).toBe('function f');
  });
});
