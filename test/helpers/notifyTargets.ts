/**
 * For the notifier's tests: ended jobs, a notifier aimed at a scripted server, a `fetch` that keeps a
 * copy of each body it sends (the scripted server records requests without their bodies).
 */
import { newTrackedJob, type TrackedJob } from '#shared/jobs/jobStore.ts';
import { createNotifier, type NotifierOptions } from '#shared/notify/notifier.ts';
import type { Credentials } from '#shared/signing/acs3.ts';
import type { ScriptedServer, Step } from '#test/helpers/scriptedServer.ts';

export const T0 = Date.UTC(2026, 10, 25, 8, 0, 0);

export const STS: Credentials = {
  accessKeyId: 'STS.TESTFAKE',
  accessKeySecret: 'StsFakeSecret',
  securityToken: 'CAIS.fake+token==',
};

export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/** A job that succeeded three minutes after tracking began. */
export function endedJob(changes: Partial<TrackedJob> = {}): TrackedJob {
  return {
    ...newTrackedJob({ id: 'job-1', now: T0 }),
    state: 'succeeded',
    status: 'FINISHED',
    attempts: 7,
    images: ['0000.png', '0001.png'],
    finishedAt: T0 + 190_000,
    nextPollAt: null,
    ...changes,
  };
}

/** A `fetch` that sends for real and keeps each request's body, in order. */
export function recordingFetch(): { fetch: typeof fetch; bodies: string[] } {
  const bodies: string[] = [];
  return {
    bodies,
    fetch: (input, init) => {
      bodies.push(String(init?.body ?? ''));
      return fetch(input, init);
    },
  };
}

/**
 * A notifier for `server`: it is the FC endpoint, webhooks may use http, three tries per call (to test the
 * delivery loop; the notifier's default is one), waits are recorded rather than slept, and the clock,
 * jitter and nonce are fixed unless `options` says otherwise.
 */
export function notifierFor(server: ScriptedServer, options: Partial<NotifierOptions> = {}) {
  const recorder = recordingFetch();
  const delays: number[] = [];
  const notifier = createNotifier({
    accountId: '1234567890123456',
    region: 'cn-shanghai',
    fcEndpoint: server.url,
    credentials: () => STS,
    webhookSecret: WEBHOOK_SECRET,
    allowHttpWebhooks: true,
    retry: { maxAttempts: 3 },
    fetch: recorder.fetch,
    now: () => T0,
    random: () => 0.5,
    nonce: () => 'fixed-nonce',
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...options,
  });
  return { notifier, bodies: recorder.bodies, delays };
}

/** FC's answer to an accepted asynchronous invocation: 202, no body. */
export const fcAccepted = {
  status: 202,
  body: '',
  headers: { 'content-type': 'application/octet-stream', 'x-fc-request-id': 'REQ-OK' },
} satisfies Step;
