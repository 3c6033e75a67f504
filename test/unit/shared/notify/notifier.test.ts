import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/errors.ts';
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';
import type { Notifier } from '#shared/jobs/sweep.ts';
import { createNotifier, type NotifierOptions } from '#shared/notify/notifier.ts';
import { NotifyError } from '#shared/notify/notifyError.ts';
import { targetAllowlistFromConfig } from '#shared/notify/notifyTarget.ts';
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
    const allowedTargets = targetAllowlistFromConfig({ NOTIFY_TARGETS_ALLOWED: 'fn:store-*' });
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
    ['a bad FC endpoint', { fcEndpoint: 'ftp://x' }, /FC_ENDPOINT/],
    ['no region', { region: '' }, /region/],
  ] satisfies [string, Partial<NotifierOptions>, RegExp][])('refuses %s at once', (_, options, message) => {
    expect(() => createNotifier({ ...base, ...options })).toThrow(ConfigError);
    expect(() => createNotifier({ ...base, ...options })).toThrow(message);
  });

  it('fails at once, without retrying, when the credentials cannot be had', async () => {
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
