import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/errors.ts';
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';
import type { Notifier } from '#shared/jobs/sweep.ts';
import { createNotifier, NOTIFY_ATTEMPT_TIMEOUT_MS, type NotifierOptions } from '#shared/notify/notifier.ts';
import { NotifyError } from '#shared/notify/notifyError.ts';
import { targetAllowlist } from '#shared/notify/targetAllowlist.ts';
import { endedJob, fcAccepted, notifierFor, STS } from '#test/helpers/notifyTargets.ts';
import { type ScriptedServer, scriptedServers } from '#test/helpers/scriptedServer.ts';

const startServer = scriptedServers();
let server: ScriptedServer | undefined;

const base: NotifierOptions = { accountId: '123', region: 'cn-shanghai', credentials: () => STS };
const fallback: NotifyTarget = { type: 'function', name: 'default-target' };

describe('createNotifier', () => {
  it('is what the sweeper expects', () => {
    const notifier: Notifier = createNotifier(base);
    expect(notifier.targetFor(endedJob())).toBeNull();
  });

  it('prefers the job’s own target to the default, and has none without either', () => {
    const notifier = createNotifier({ ...base, defaultTarget: fallback });
    const own: NotifyTarget = { type: 'webhook', url: 'https://example.com/h' };
    expect(notifier.targetFor(endedJob({ notify: own }))).toBe(own);
    expect(notifier.targetFor(endedJob())).toBe(fallback);
    expect(createNotifier({ ...base, defaultTarget: null }).targetFor(endedJob())).toBeNull();
  });

  it('sends to the default target when the job has none, and to the job’s own when it has one', async () => {
    server = await startServer([fcAccepted, fcAccepted]);
    const { notifier } = notifierFor(server, { defaultTarget: fallback });
    await notifier.notify(endedJob());
    await notifier.notify(endedJob({ notify: { type: 'function', name: 'own-target' } }));
    expect(server.requests.map((r) => r.url)).toEqual([
      '/2023-03-30/functions/default-target/invocations',
      '/2023-03-30/functions/own-target/invocations',
    ]);
  });

  it('does not send to a job’s own target that NOTIFY_TARGETS_ALLOWED no longer allows; the default needs no entry', async () => {
    server = await startServer([fcAccepted, fcAccepted]);
    const allowedTargets = targetAllowlist('fn:store-*');
    const { notifier } = notifierFor(server, { defaultTarget: fallback, allowedTargets });
    const refused = notifier.notify(endedJob({ notify: { type: 'function', name: 'own-target' } }));
    await expect(refused).rejects.toBeInstanceOf(NotifyError);
    await expect(refused).rejects.toMatchObject({
      retryable: false,
      message: expect.stringMatching(/not allowed/),
    });
    await notifier.notify(endedJob({ notify: { type: 'function', name: 'store-images' } }));
    await notifier.notify(endedJob());
    expect(server.requests.map((r) => r.url)).toEqual([
      '/2023-03-30/functions/store-images/invocations',
      '/2023-03-30/functions/default-target/invocations',
    ]);
  });

  it('notifies a job whose id is outside Latin-1: the id in the body, the header percent-encoded', async () => {
    server = await startServer([fcAccepted, { status: 200, body: '' }]);
    const webhook: NotifyTarget = { type: 'webhook', url: `${server.url}/hook` };
    const { notifier } = notifierFor(server);
    const id = '任务-😀-1';
    await notifier.notify(endedJob({ id, notify: { type: 'function', name: 'own-target' } }));
    await notifier.notify(endedJob({ id, notify: webhook }));
    const header = '%E4%BB%BB%E5%8A%A1-%F0%9F%98%80-1:succeeded';
    expect(server.requests.map((r) => r.headers['x-aicontent-jobs-idempotency-key'])).toEqual([
      header,
      header,
    ]);
    expect(server.requests.map((r) => JSON.parse(r.body).jobId)).toEqual([id, id]);
  });

  it('makes one try per call by default, of at most 5 s', async () => {
    server = await startServer([{ status: 503, body: '' }]);
    const notifier = createNotifier({
      ...base,
      webhookSecret: 'test-webhook-secret-0123456789',
      allowHttpWebhooks: true,
      allowPrivateAddresses: true,
      allowedTargets: targetAllowlist(`url:${server.url}/`),
    });
    const job = endedJob({ notify: { type: 'webhook', url: `${server.url}/hook` } });
    await expect(notifier.notify(job)).rejects.toMatchObject({ code: 'Http503' });
    expect(server.requests).toHaveLength(1);
    expect(NOTIFY_ATTEMPT_TIMEOUT_MS).toBe(5_000);
  });

  it('calls final the failures no later try can mend', async () => {
    const allowedTargets = targetAllowlist('fn:store-*');
    const notifier = createNotifier({ ...base, allowedTargets, allowHttpWebhooks: true });
    const notAllowed = notifier.notify(endedJob({ notify: { type: 'function', name: 'own-target' } }));
    await expect(notAllowed).rejects.toMatchObject({ code: 'InvalidNotifyTarget', final: true });
    const unsigned = createNotifier({
      ...base,
      allowHttpWebhooks: true,
      allowPrivateAddresses: true,
      allowedTargets: targetAllowlist('url:http://127.0.0.1:1/'),
    }).notify(endedJob({ notify: { type: 'webhook', url: 'http://127.0.0.1:1/h' } }));
    await expect(unsigned).rejects.toMatchObject({ code: 'WebhookSecretMissing', final: true });
    server = await startServer([{ status: 404, body: '' }]);
    const missing = notifierFor(server).notifier.notify(
      endedJob({ notify: { type: 'function', name: 'gone' } }),
    );
    await expect(missing).rejects.toMatchObject({ code: 'Http404', final: false });
  });

  it('sends to no job’s own target when NOTIFY_TARGETS_ALLOWED lists none; the default still goes out', async () => {
    server = await startServer([fcAccepted]);
    const { notifier } = notifierFor(server, { defaultTarget: fallback, allowedTargets: undefined });
    const own = endedJob({
      notify: { type: 'function', name: 'prod-billing-delete-everything', qualifier: 'LIVE' },
    });
    await expect(notifier.notify(own)).rejects.toMatchObject({
      code: 'InvalidNotifyTarget',
      retryable: false,
    });
    await notifier.notify(endedJob());
    expect(server.requests.map((r) => r.url)).toEqual(['/2023-03-30/functions/default-target/invocations']);
  });

  it('does nothing when there is nobody to tell', async () => {
    server = await startServer([]);
    await notifierFor(server).notifier.notify(endedJob());
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    [
      'an unusable default target',
      { defaultTarget: { type: 'function', name: '' } },
      /default notify target/,
    ],
    [
      'an http default webhook',
      { defaultTarget: { type: 'webhook', url: 'http://x.test' }, webhookSecret: 'x'.repeat(16) },
      /must use https:/,
    ],
    [
      'a default webhook without a secret',
      { defaultTarget: { type: 'webhook', url: 'https://x.test' } },
      /secret/,
    ],
    ['a short webhook secret', { webhookSecret: 'short' }, /at least 16 characters/],
    ['a bad FC endpoint', { fcEndpoint: 'ftp://x' }, /NOTIFY_FC_ENDPOINT/],
    ['no region', { region: '' }, /region/],
  ] satisfies [string, Partial<NotifierOptions>, RegExp][])('refuses %s at once', (_, options, message) => {
    expect(() => createNotifier({ ...base, ...options })).toThrow(ConfigError);
    expect(() => createNotifier({ ...base, ...options })).toThrow(message);
  });

  it('tells credentials that cannot be had as not worth another try, asking once', async () => {
    server = await startServer([]);
    let asked = 0;
    const { notifier } = notifierFor(server, {
      credentials: () => {
        asked++;
        throw new ConfigError('no credentials');
      },
    });
    const error = await notifier.notify(endedJob({ notify: fallback })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotifyError);
    expect(error).toMatchObject({ code: 'ConfigError', retryable: false });
    expect(asked).toBe(1);
  });
});
