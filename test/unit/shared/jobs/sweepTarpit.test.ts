/**
 * Webhook receivers that accept the connection and never answer ("tarpits") must not starve the polls:
 * with concurrency 4, four such receivers and 100 ordinary jobs in one sweep, every ordinary job is
 * polled, each silent receiver is tried at most once, and the sweep ends by its deadline. Real
 * loopback servers, the real notifier with its defaults, the real clock.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJob } from '#shared/aicontent/job.ts';
import { readSweepPolicy } from '#shared/config.ts';
import type { TrackedJob } from '#shared/jobs/jobStore.ts';
import { sweep } from '#shared/jobs/sweep.ts';
import { createLogger } from '#shared/log.ts';
import { createNotifier } from '#shared/notify/notifier.ts';
import { targetAllowlist } from '#shared/notify/targetAllowlist.ts';
import { createMemoryStore } from '#shared/stores/memoryStore.ts';

interface Tarpit {
  url: string;
  /** Requests received (fetch may open a spare connection that carries none). */
  requests: number;
  server: Server;
  sockets: Socket[];
}

const tarpits: Tarpit[] = [];
afterEach(async () => {
  for (const { server, sockets } of tarpits.splice(0)) {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A loopback server that accepts connections, reads what it is sent, and never answers. */
async function startTarpit(): Promise<Tarpit> {
  const server = createServer();
  const tarpit: Tarpit = { url: '', requests: 0, server, sockets: [] };
  server.on('connection', (socket) => {
    tarpit.sockets.push(socket);
    socket.on('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').startsWith('POST ')) tarpit.requests++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  tarpit.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
  tarpits.push(tarpit);
  return tarpit;
}

describe('a sweep with silent webhook receivers', () => {
  it('polls every ordinary job, tries each silent receiver at most once, and ends by its deadline', async () => {
    const SILENT = 4;
    const ORDINARY = 100;
    const store = createMemoryStore();
    const started = Date.now();
    const silent = await Promise.all(Array.from({ length: SILENT }, startTarpit));
    // The silent ones are due first, so they are claimed first.
    for (const [i, tarpit] of silent.entries()) {
      await store.track({
        id: `silent-${i}`,
        notify: { type: 'webhook', url: tarpit.url },
        now: started - 1000,
      });
    }
    for (let i = 0; i < ORDINARY; i++) await store.track({ id: `ordinary-${i}`, now: started });

    const notifier = createNotifier({
      accountId: '1234567890123456',
      region: 'cn-shanghai',
      credentials: () => ({ accessKeyId: 'STS.FAKE', accessKeySecret: 'fake' }),
      webhookSecret: 'test-webhook-secret-0123456789',
      allowHttpWebhooks: true,
      allowPrivateAddresses: true,
      allowedTargets: targetAllowlist(
        silent.map((tarpit) => `url:${new URL('/', tarpit.url).href}`).join(','),
      ),
    });
    const query = async (id: string) => {
      await new Promise((resolve) => setTimeout(resolve, 20)); // aicontent answers in 20 ms
      return { job: parseJob({ id, jobStatus: id.startsWith('silent') ? 'FINISHED' : 'INFERRING' }, id) };
    };
    const policy = { ...readSweepPolicy({}), concurrency: 4, safetyMarginMs: 5_000 };
    const deadline = started + 12_000; // work stops at 7 s
    const summary = await sweep(
      { store, query, notifier, log: createLogger({ write: () => {} }), owner: 'sweeper-1' },
      policy,
      { deadline },
    );

    const jobs = (await Promise.all(
      [...Array(ORDINARY).keys()].map((i) => store.get(`ordinary-${i}`)),
    )) as TrackedJob[];
    const polled = jobs.filter((job) => job.attempts === 1).length;
    console.log(`ordinary jobs polled with ${SILENT} silent receivers: ${polled} of ${ORDINARY}`);
    expect(polled).toBe(ORDINARY);
    expect(Date.now()).toBeLessThan(deadline - policy.safetyMarginMs + 1_000);
    // At most one try per job per sweep; the ones tried timed out after 5 s and wait for a later sweep.
    expect(silent.map((tarpit) => tarpit.requests <= 1)).toEqual(silent.map(() => true));
    expect(silent[0]?.requests).toBe(1);
    // The first tried timed out after 5 s; the second was cut short by the deadline (not counted as a
    // try); the last two never started. All are due at once for the next sweep, but the first.
    expect(summary).toMatchObject({ notified: 0, notifyFailed: 1, notifyDeferred: 3 });
    for (let i = 0; i < SILENT; i++) {
      expect(await store.get(`silent-${i}`)).toMatchObject({
        state: 'succeeded',
        notification: 'pending',
        leaseOwner: null,
      });
    }
    const timedOut = (await store.get('silent-0')) as TrackedJob;
    // A caller's own webhook fails with one code whatever happened (no network scanning through it).
    expect(timedOut.lastError).toMatch(/^WebhookFailed: /);
  }, 30_000);
});
