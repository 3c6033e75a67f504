import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/errors.ts';
import { fcEndpoint } from '#shared/notify/fcInvoke.ts';
import { NotifyError } from '#shared/notify/notifyError.ts';
import { buildNotification } from '#shared/notify/payload.ts';
import { endedJob, fcAccepted, notifierFor, STS, T0 } from '#test/helpers/notifyTargets.ts';
import {
  expectedAcs3Signature,
  type ScriptedServer,
  type Step,
  scriptedServers,
  sha256Hex,
} from '#test/helpers/scriptedServer.ts';

const startServer = scriptedServers();
let server: ScriptedServer | undefined;

/** An FC 3.0 API error: `{Code, Message, RequestId}`. */
function fcError(status: number, code: string, message = `${code} happened`): Step {
  return {
    status,
    headers: { 'x-fc-request-id': `REQ-${code}` },
    body: { Code: code, Message: message, RequestId: `REQ-${code}` },
  };
}

async function start(script: Step[]) {
  server = await startServer(script);
  return server;
}

describe('fcEndpoint', () => {
  it('is the internal invoke endpoint of the account and region by default', () => {
    expect(fcEndpoint({ accountId: '123', region: 'cn-shanghai' }).href).toBe(
      'https://123.cn-shanghai-internal.fc.aliyuncs.com/',
    );
  });

  it('is the public one when asked', () => {
    expect(fcEndpoint({ accountId: '123', region: 'cn-shanghai', internal: false }).host).toBe(
      '123.cn-shanghai.fc.aliyuncs.com',
    );
  });

  it('is the explicit endpoint when there is one (the local runtime)', () => {
    expect(fcEndpoint({ accountId: '', region: '', endpoint: 'http://127.0.0.1:9000' }).origin).toBe(
      'http://127.0.0.1:9000',
    );
  });

  it('refuses what cannot make an endpoint, naming the setting', () => {
    expect(() => fcEndpoint({ accountId: '1', region: 'x', endpoint: 'ftp://x' })).toThrow(
      /NOTIFY_FC_ENDPOINT/,
    );
    expect(() => fcEndpoint({ accountId: '1/evil', region: 'cn-shanghai' })).toThrow(ConfigError);
    expect(() => fcEndpoint({ accountId: '1', region: '' })).toThrow(/region/);
  });
});

describe('FC 3.0 InvokeFunction', () => {
  it('sends exactly the asynchronous InvokeFunction request, signed as the gateway checks it', async () => {
    const server = await start([fcAccepted]);
    const { notifier, bodies } = notifierFor(server);
    const job = endedJob({ notify: { type: 'function', name: 'on-job-done', qualifier: 'LIVE' } });
    await notifier.notify(job);

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    if (!request) throw new Error('no request');
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/2023-03-30/functions/on-job-done/invocations?qualifier=LIVE');
    expect(request.headers).toMatchObject({
      host: new URL(server.url).host,
      'content-type': 'application/json',
      'x-acs-action': 'InvokeFunction',
      'x-acs-version': '2023-03-30',
      'x-fc-invocation-type': 'Async',
      'x-acs-date': '2026-11-25T08:00:00Z',
      'x-acs-signature-nonce': 'fixed-nonce',
      'x-aicontent-jobs-idempotency-key': 'job-1:succeeded',
      // STS credentials: the key id and token travel in signed headers.
      'x-acs-accesskey-id': STS.accessKeyId,
      'x-acs-security-token': STS.securityToken,
    });
    const body = bodies[0] ?? '';
    expect(body).toBe(buildNotification(job).body);
    expect(request.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(request.headers['x-acs-content-sha256']).toBe(sha256Hex(body));
    const authorization = request.headers.authorization ?? '';
    expect(authorization).toMatch(/^ACS3-HMAC-SHA256 Credential=STS\.TESTFAKE,SignedHeaders=/);
    expect(authorization).toContain(
      'SignedHeaders=content-type;host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;' +
        'x-acs-security-token;x-acs-signature-nonce;x-acs-version,',
    );
    expect(authorization).toContain(`Signature=${expectedAcs3Signature(request, body, STS)}`);
  });

  it('encodes the name of a function migrated from 2.0 the same in the path it signs and sends', async () => {
    const server = await start([fcAccepted]);
    const { notifier, bodies } = notifierFor(server);
    await notifier.notify(endedJob({ notify: { type: 'function', name: 'legacy$on-done' } }));
    const [request] = server.requests;
    if (!request) throw new Error('no request');
    expect(request.url).toBe('/2023-03-30/functions/legacy%24on-done/invocations');
    expect(request.headers.authorization).toContain(
      `Signature=${expectedAcs3Signature(request, bodies[0] ?? '', STS)}`,
    );
  });

  it('signs each attempt afresh and asks for credentials each time', async () => {
    const server = await start([fcError(503, 'ServiceUnavailable'), fcAccepted]);
    let clock = T0;
    let nonces = 0;
    let asked = 0;
    const { notifier } = notifierFor(server, {
      now: () => (clock += 1000),
      nonce: () => `nonce-${++nonces}`,
      credentials: () => {
        asked++;
        return STS;
      },
    });
    const job = endedJob({ notify: { type: 'function', name: 'f' } });
    await expect(notifier.notify(job)).rejects.toMatchObject({ code: 'ServiceUnavailable' });
    await notifier.notify(job);
    expect(server.requests.map((r) => r.headers['x-acs-signature-nonce'])).toEqual(['nonce-1', 'nonce-2']);
    expect(new Set(server.requests.map((r) => r.headers['x-acs-date'])).size).toBe(2);
    expect(asked).toBe(2);
  });

  it('accepts 200 and 204 as delivered too', async () => {
    const server = await start([
      { status: 200, body: '' },
      { status: 204, body: '' },
    ]);
    const { notifier } = notifierFor(server);
    const job = endedJob({ notify: { type: 'function', name: 'f' } });
    await notifier.notify(job);
    await notifier.notify(job);
    expect(server.requests).toHaveLength(2);
  });

  it('turns an FC error body into a NotifyError with FC’s code, status and request id', async () => {
    const server = await start([fcError(404, 'FunctionNotFound', "function 'nope' does not exist")]);
    const { notifier } = notifierFor(server);
    const error = await notifier
      .notify(endedJob({ notify: { type: 'function', name: 'nope' } }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotifyError);
    expect(error).toMatchObject({
      name: 'NotifyError',
      target: 'function nope',
      code: 'FunctionNotFound',
      httpStatus: 404,
      requestId: 'REQ-FunctionNotFound',
      retryable: false,
      statusCode: 502,
    });
    expect((error as Error).message).toBe(
      "could not notify function nope: function 'nope' does not exist " +
        '(HTTP 404, FunctionNotFound, request REQ-FunctionNotFound)',
    );
    // What a job's lastError records: FC's code, and words of ours only.
    expect((error as NotifyError).summary).toBe('FunctionNotFound: the target refused it (HTTP 404)');
    expect(server.requests).toHaveLength(1);
  });

  it('records the code and message of a refusal by FC 3.0 (AccessDenied), not just its status', async () => {
    const server = await start([
      fcError(403, 'AccessDenied', 'the caller is not authorized to invoke function f'),
    ]);
    const { notifier } = notifierFor(server);
    const error = await notifier
      .notify(endedJob({ notify: { type: 'function', name: 'f' } }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AccessDenied', httpStatus: 403, retryable: false });
    expect((error as Error).message).toContain('the caller is not authorized to invoke function f');
  });

  it('reads the FC 2.0 error body {ErrorCode, ErrorMessage} too', async () => {
    const server = await start([
      {
        status: 404,
        body: { ErrorCode: 'FunctionNotFound', ErrorMessage: 'no such function', RequestId: 'R' },
      },
    ]);
    const { notifier } = notifierFor(server);
    await expect(
      notifier.notify(endedJob({ notify: { type: 'function', name: 'f' } })),
    ).rejects.toMatchObject({
      code: 'FunctionNotFound',
      requestId: 'R',
      message: expect.stringContaining('no such function'),
    });
  });

  it.each([
    [429, 'ResourceThrottled'],
    [500, 'InternalServerError'],
    [503, 'ServiceUnavailable'],
  ])('tells %i %s as worth another try, with FC’s code', async (status, code) => {
    const server = await start([fcError(status, code)]);
    const { notifier } = notifierFor(server);
    await expect(
      notifier.notify(endedJob({ notify: { type: 'function', name: 'f' } })),
    ).rejects.toMatchObject({
      code,
      httpStatus: status,
      retryable: true,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('carries FC’s Retry-After on the error, at most an hour', async () => {
    const throttled = (seconds: string): Step => ({
      status: 429,
      headers: { 'retry-after': seconds },
      body: { ErrorCode: 'ResourceThrottled', ErrorMessage: 'slow down' },
    });
    const server = await start([throttled('1'), throttled('7200')]);
    const { notifier } = notifierFor(server);
    const job = endedJob({ notify: { type: 'function', name: 'f' } });
    await expect(notifier.notify(job)).rejects.toMatchObject({ retryAfterMs: 1000 });
    await expect(notifier.notify(job)).rejects.toMatchObject({ retryAfterMs: 3_600_000 });
    expect(server.requests).toHaveLength(2);
  });

  it('reads an error without an FC body by its status', async () => {
    const server = await start([
      { status: 403, body: '<html>denied</html>', headers: { 'x-fc-request-id': 'R' } },
    ]);
    const { notifier } = notifierFor(server);
    await expect(
      notifier.notify(endedJob({ notify: { type: 'function', name: 'f' } })),
    ).rejects.toMatchObject({
      code: 'Http403',
      httpStatus: 403,
      requestId: 'R',
      retryable: false,
    });
  });

  it('does not count another 2xx or a redirect as delivered', async () => {
    const server = await start([
      { status: 201, body: '' },
      { status: 307, body: '', headers: { location: 'http://127.0.0.1:1/elsewhere' } },
    ]);
    const { notifier } = notifierFor(server);
    const job = endedJob({ notify: { type: 'function', name: 'f' } });
    await expect(notifier.notify(job)).rejects.toMatchObject({ code: 'Http201', retryable: false });
    await expect(notifier.notify(job)).rejects.toMatchObject({ code: 'Http307', retryable: false });
    expect(server.requests).toHaveLength(2);
  });

  it('refuses an invalid stored function name without sending anything', async () => {
    const server = await start([]);
    const { notifier } = notifierFor(server);
    await expect(
      notifier.notify(endedJob({ notify: { type: 'function', name: '9lives' } })),
    ).rejects.toMatchObject({ code: 'InvalidNotifyTarget', retryable: false });
    expect(server.requests).toHaveLength(0);
  });
});
