import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Fc2ClientConfig, Fc2ClientFactory } from '#shared/notify/fc2Invoke.ts';
import { NotifyError } from '#shared/notify/notifyError.ts';
import { buildNotification } from '#shared/notify/payload.ts';
import { endedJob, fcAccepted, notifierFor, STS } from '#test/helpers/notifyTargets.ts';
import { type ScriptedServer, type Step, scriptedServers } from '#test/helpers/scriptedServer.ts';

const startServer = scriptedServers();
let server: ScriptedServer | undefined;

const job = endedJob({ notify: { type: 'fc2', service: 'legacy', name: 'on-done', qualifier: 'LIVE' } });

/** fc2's `content-md5`: base64 of the hex MD5 digest (not of the raw digest). */
const fc2ContentMd5 = (body: string) =>
  Buffer.from(createHash('md5').update(body).digest('hex')).toString('base64');

describe('FC 2.0 through the real @alicloud/fc2 client', () => {
  it('sends the asynchronous invocation of the service function, with the payload as event', async () => {
    server = await startServer([fcAccepted]);
    const { notifier } = notifierFor(server);
    await notifier.notify(job);

    const [request] = server.requests;
    if (!request) throw new Error('no request');
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/2016-08-15/services/legacy.LIVE/functions/on-done/invocations');
    const body = buildNotification(job).body;
    expect(request.headers).toMatchObject({
      'x-fc-invocation-type': 'Async',
      'x-fc-account-id': '1234567890123456',
      'x-fc-security-token': STS.securityToken,
      'x-aicontent-jobs-idempotency-key': 'job-1:succeeded',
      // The scripted server keeps no bodies: fc2's digest and length of the body pin it down.
      'content-md5': fc2ContentMd5(body),
      'content-length': String(Buffer.byteLength(body)),
    });
    expect(request.headers.authorization).toMatch(/^FC STS\.TESTFAKE:[A-Za-z0-9+/]+=*$/);
  });

  it('turns an FC error into a NotifyError with FC’s code, status and request id', async () => {
    server = await startServer([
      {
        status: 404,
        headers: { 'x-fc-request-id': 'REQ-404' },
        body: { ErrorCode: 'FunctionNotFound', ErrorMessage: 'function on-done does not exist' },
      },
    ]);
    const { notifier } = notifierFor(server);
    const error = await notifier.notify(job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotifyError);
    expect(error).toMatchObject({
      target: 'fc2 legacy/on-done:LIVE',
      code: 'FunctionNotFound',
      httpStatus: 404,
      requestId: 'REQ-404',
      retryable: false,
    });
    expect((error as Error).message).toContain('function on-done does not exist');
  });

  it('tells a 503 and a dropped connection as worth another try, one request per call', async () => {
    server = await startServer([
      { status: 503, body: { ErrorCode: 'ServiceUnavailable', ErrorMessage: 'busy' } },
      'drop',
      fcAccepted,
    ]);
    const { notifier } = notifierFor(server);
    await expect(notifier.notify(job)).rejects.toMatchObject({ code: 'ServiceUnavailable', retryable: true });
    await expect(notifier.notify(job)).rejects.toMatchObject({ code: 'NetworkError', retryable: true });
    await notifier.notify(job);
    expect(server.requests).toHaveLength(3);
  });

  it('times an attempt out', async () => {
    const slow: Step = { ...fcAccepted, delayMs: 300 };
    server = await startServer([slow]);
    const { notifier } = notifierFor(server, { attemptTimeoutMs: 50 });
    await expect(notifier.notify(job)).rejects.toMatchObject({ code: 'Timeout', retryable: true });
    expect(server.requests).toHaveLength(1);
  });
});

describe('FC 2.0 with an injected client', () => {
  function fakeClient(outcome: () => Promise<unknown>) {
    const made: { accountId: string; config: Fc2ClientConfig; calls: unknown[][] }[] = [];
    const factory: Fc2ClientFactory = (accountId, config) => {
      const record = { accountId, config, calls: [] as unknown[][] };
      made.push(record);
      return {
        invokeFunction: (...args) => {
          record.calls.push(args);
          return outcome();
        },
      };
    };
    return { made, factory };
  }

  it('builds a client per attempt from the attempt’s credentials and FC settings', async () => {
    const fake = fakeClient(async () => ({ headers: {}, data: '' }));
    server = await startServer([]);
    const { notifier } = notifierFor(server, {
      fc2ClientFactory: fake.factory,
      fcEndpoint: undefined,
      internal: false,
      attemptTimeoutMs: 5000,
    });
    await notifier.notify(job);
    expect(fake.made).toEqual([
      {
        accountId: '1234567890123456',
        config: {
          accessKeyID: STS.accessKeyId,
          accessKeySecret: STS.accessKeySecret,
          securityToken: STS.securityToken,
          region: 'cn-shanghai',
          internal: false,
          secure: true,
          endpoint: undefined,
          timeout: 5000,
        },
        calls: [
          [
            'legacy',
            'on-done',
            buildNotification(job).body,
            { 'x-fc-invocation-type': 'Async', 'x-aicontent-jobs-idempotency-key': 'job-1:succeeded' },
            'LIVE',
          ],
        ],
      },
    ]);
  });

  it('passes an explicit endpoint on', async () => {
    const fake = fakeClient(async () => ({}));
    server = await startServer([]);
    await notifierFor(server, { fc2ClientFactory: fake.factory }).notifier.notify(job);
    expect(fake.made[0]?.config.endpoint).toBe(server.url);
  });

  it('treats an error that is neither an FC answer nor a timeout as a network failure', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const fake = fakeClient(() => Promise.reject(reset));
    server = await startServer([]);
    const { notifier } = notifierFor(server, { fc2ClientFactory: fake.factory });
    await expect(notifier.notify(job)).rejects.toMatchObject({ code: 'NetworkError', retryable: true });
    expect(fake.made).toHaveLength(1);
  });

  it('stops waiting for the client when the caller aborts', async () => {
    const fake = fakeClient(() => new Promise(() => {}));
    server = await startServer([]);
    const { notifier } = notifierFor(server, { fc2ClientFactory: fake.factory });
    await expect(notifier.notify(job, { signal: AbortSignal.timeout(20) })).rejects.toMatchObject({
      code: 'Aborted',
    });
  });
});
