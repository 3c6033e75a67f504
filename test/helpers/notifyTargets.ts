/**
 * For the notifier's tests: ended jobs, a notifier aimed at a scripted server, a `fetch` that keeps a
 * copy of each body it sends, and a resolver that answers from a table (no test asks real DNS).
 */
import dns from 'node:dns';
import { isIP } from 'node:net';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { newTrackedJob, type TrackedJob } from '#shared/jobs/jobStore.ts';
import type { Resolve } from '#shared/net/checkedPost.ts';
import { createNotifier, type NotifierOptions } from '#shared/notify/notifier.ts';
import { targetAllowlist } from '#shared/notify/targetAllowlist.ts';
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
 * A resolver answering from `names` (host name → addresses), recording each question in `asked`; any
 * other name fails as an unknown host would.
 */
export function stubResolver(names: Record<string, string[]> = {}): Resolve & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    const addresses = names[hostname];
    if (!addresses) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
    }
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

/**
 * For a test file's top level: the system resolver fails the test if anything asks it (a connection
 * that looked a name up itself, rather than using the addresses checked, would).
 */
export function forbidSystemDns(): void {
  const asked: string[] = [];
  beforeEach(() => {
    // An address literal (a loopback server's `listen('127.0.0.1')`) is answered without asking DNS.
    const guard = <F extends (hostname: string, ...rest: never[]) => unknown>(original: F) =>
      ((hostname: string, ...rest: never[]) => {
        if (isIP(hostname)) return original(hostname, ...rest);
        asked.push(hostname);
        throw new Error(`the system resolver was asked for ${hostname}`);
      }) as F;
    // The originals are taken before the spies replace them.
    const lookup = guard(dns.lookup.bind(dns) as never);
    const lookupPromise = guard(dns.promises.lookup.bind(dns.promises) as never);
    vi.spyOn(dns, 'lookup').mockImplementation(lookup);
    vi.spyOn(dns.promises, 'lookup').mockImplementation(lookupPromise);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    expect(asked.splice(0), 'names looked up with the system resolver').toEqual([]);
  });
}

/**
 * A notifier for `server`: it is the FC endpoint, webhooks may use http and reach loopback, any function
 * and any webhook on `server` may be a job's own target, host names resolve only through a stub, and the
 * clock and nonce are fixed unless `options` says otherwise.
 */
export function notifierFor(server: ScriptedServer, options: Partial<NotifierOptions> = {}) {
  const recorder = recordingFetch();
  const notifier = createNotifier({
    accountId: '1234567890123456',
    region: 'cn-shanghai',
    fcEndpoint: server.url,
    credentials: () => STS,
    webhookSecret: WEBHOOK_SECRET,
    allowHttpWebhooks: true,
    allowPrivateAddresses: true,
    allowedTargets: targetAllowlist(`fn:*, fc2:*/*, url:${server.url}/`),
    resolve: stubResolver(),
    fetch: recorder.fetch,
    now: () => T0,
    nonce: () => 'fixed-nonce',
    ...options,
  });
  return { notifier, bodies: recorder.bodies };
}

/** FC's answer to an accepted asynchronous invocation: 202, no body. */
export const fcAccepted = {
  status: 202,
  body: '',
  headers: { 'content-type': 'application/octet-stream', 'x-fc-request-id': 'REQ-OK' },
} satisfies Step;
