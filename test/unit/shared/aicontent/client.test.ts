import { describe, expect, it, vi } from 'vitest';
import {
  type AicontentClientOptions,
  createAicontentClient,
  randomNonce,
  resolveEndpoint,
  signedQuery,
} from '#shared/aicontent/client.ts';
import { AicontentError } from '#shared/aicontent/errors.ts';
import { ConfigError, InvalidInputError } from '#shared/errors.ts';
import {
  expectedAcs3Signature,
  gatewayError,
  jobResponse,
  type RecordedRequest,
  type ScriptedServer,
  type Step,
  scriptedServers,
} from '#test/helpers/scriptedServer.ts';

const AK = { accessKeyId: 'LTAI5tTESTFAKEKEYID0', accessKeySecret: 'TestFakeSecret0000000000000000' };
const STS = {
  accessKeyId: 'STS.TESTFAKE',
  accessKeySecret: 'StsFakeSecret',
  securityToken: 'CAIS.fake+token==',
};

const startServer = scriptedServers();
let server: ScriptedServer | undefined;

/** A client on a scripted server; waits are recorded, not slept. */
async function clientFor(script: Step[], options: Partial<AicontentClientOptions> = {}) {
  server = await startServer(script);
  const delays: number[] = [];
  const client = createAicontentClient({
    endpoint: server.url,
    credentials: () => AK,
    random: () => 0.5,
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...options,
  });
  return { client, delays, server };
}

const pending = { id: '20', jobStatus: 'WAIT_SCHEDULE', modelId: 'girl_1', promptId: 'p1', createTime: null };

describe('resolveEndpoint', () => {
  it('defaults to HTTPS on the central host', () => {
    expect(resolveEndpoint().href).toBe('https://aicontent.aliyuncs.com/');
    expect(resolveEndpoint('aicontent.cn-beijing.aliyuncs.com').protocol).toBe('https:');
  });

  it('keeps an explicit scheme and port (the emulator)', () => {
    expect(resolveEndpoint('http://127.0.0.1:9100').host).toBe('127.0.0.1:9100');
  });

  it('rejects what is not an http(s) endpoint with a configuration error', () => {
    expect(() => resolveEndpoint('ftp://x')).toThrow(ConfigError);
    expect(() => resolveEndpoint('http://')).toThrow(/not a host or URL/);
  });
});

describe('queryJob', () => {
  it('sends a correctly signed GET and returns the normalized job', async () => {
    const { client, server } = await clientFor([jobResponse(pending, 'REQ-1')], {
      now: () => Date.UTC(2025, 2, 14, 9, 26, 53, 500),
      nonce: () => 'fixed-nonce',
    });
    const result = await client.queryJob('job id+1');
    expect(result).toMatchObject({ requestId: 'REQ-1', attempts: 1, job: { id: '20', state: 'pending' } });

    const [request] = server.requests;
    expect(request?.url).toBe(
      '/api/v1/personalizedtxt2img/queryPreModelInferenceJobInfo?inferenceJobId=job%20id%2B1',
    );
    const headers = request?.headers ?? {};
    expect(headers['x-acs-date']).toBe('2025-03-14T09:26:53Z');
    expect(headers['x-acs-signature-nonce']).toBe('fixed-nonce');
    expect(headers['x-acs-action']).toBe('PersonalizedTextToImageQueryPreModelInferenceJobInfo');
    expect(headers['x-acs-version']).toBe('20240611');
    // Re-derive the signature from what arrived, as the gateway does.
    const expected = expectedAcs3Signature(request as RecordedRequest, '', AK);
    expect(headers.authorization).toContain(`Signature=${expected}`);
    expect(headers.authorization).toContain(`Credential=${AK.accessKeyId},`);
  });

  it('sends what signedQuery signs (the sweep bench floor signs with it)', async () => {
    const { client, server } = await clientFor([jobResponse(pending)], {
      credentials: () => STS,
      now: () => Date.UTC(2025, 2, 14, 9, 26, 53, 500),
      nonce: () => 'fixed-nonce',
    });
    await client.queryJob('job id+1');
    const signed = signedQuery(new URL(server.url), 'job id+1', STS, {
      date: '2025-03-14T09:26:53Z',
      nonce: 'fixed-nonce',
    });
    const [request] = server.requests;
    expect(request?.url).toBe(signed.path);
    for (const [name, value] of Object.entries(signed.headers)) {
      expect(request?.headers[name.toLowerCase()]).toBe(value);
    }
    expect(signed.headers.accept).toBe('application/json');
  });

  it('draws a new 32-hex-digit nonce for each request', () => {
    const nonces = Array.from({ length: 100 }, randomNonce);
    for (const nonce of nonces) expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(nonces).size).toBe(100);
  });

  it('adds the STS headers when the credentials carry a token', async () => {
    const { client, server } = await clientFor([jobResponse(pending)], { credentials: () => STS });
    await client.queryJob('20');
    expect(server.requests[0]?.headers['x-acs-security-token']).toBe(STS.securityToken);
    expect(server.requests[0]?.headers['x-acs-accesskey-id']).toBe(STS.accessKeyId);
  });

  it('asks the credentials provider on every call', async () => {
    const provider = vi.fn(() => AK);
    const { client } = await clientFor([jobResponse(pending), jobResponse(pending)], {
      credentials: provider,
    });
    await client.queryJob('20');
    await client.queryJob('20');
    expect(provider).toHaveBeenCalledTimes(2);
  });

  it('reuses one keep-alive connection across calls', async () => {
    const { client, server } = await clientFor(Array.from({ length: 10 }, () => jobResponse(pending)));
    for (let i = 0; i < 10; i++) await client.queryJob('20');
    // undici hands a socket back to its pool a tick after the body is read, so a call made at once
    // may open a second one; after that they are reused.
    expect(server.connections).toBeLessThanOrEqual(2);
  });

  it.each([
    ['', /must not be empty/],
    ['x'.repeat(10_000), /10000 characters long/],
    ['bad\u0000id', /control characters/],
    ['bad\nid', /control characters/],
    ['\ud800', /not valid Unicode/],
  ])('rejects the job id %j before sending anything', async (id, message) => {
    const { client, server } = await clientFor([]);
    await expect(client.queryJob(id)).rejects.toThrow(InvalidInputError);
    await expect(client.queryJob(id)).rejects.toThrow(message);
    expect(server.requests).toHaveLength(0);
  });
});

describe('queryJob errors', () => {
  it('turns the documented 404 envelope into JobNotFound, without retrying', async () => {
    const { client, server } = await clientFor([
      {
        status: 404,
        headers: { 'x-acs-request-id': 'REQ-404' },
        body: {
          requestId: 'REQ-404',
          success: false,
          errCode: 'B_DATA_NOT_FOUND_EXCEPTION',
          errMessage: '资源没有找到',
        },
      },
    ]);
    const error = await client.queryJob('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AicontentError);
    expect(error).toMatchObject({
      kind: 'business',
      code: 'JobNotFound',
      statusCode: 404,
      httpStatus: 404,
      errCode: 'B_DATA_NOT_FOUND_EXCEPTION',
      errMessage: '资源没有找到',
      requestId: 'REQ-404',
      retryable: false,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('reads a business error sent with HTTP 200 and success:false', async () => {
    const { client } = await clientFor([
      { status: 200, body: { success: false, errCode: 'B_PERMISSION_DENIED_EXCEPTION', requestId: 'R' } },
    ]);
    await expect(client.queryJob('20')).rejects.toMatchObject({
      kind: 'business',
      errCode: 'B_PERMISSION_DENIED_EXCEPTION',
      statusCode: 502,
      requestId: 'R',
    });
  });

  it.each([
    ['SignatureDoesNotMatch', 400],
    ['InvalidAccessKeyId.NotFound', 404],
    ['InvalidTimeStamp.Expired', 400],
    ['Forbidden.RAM', 403],
  ])(
    'does not retry the gateway code %s and reports it as our misconfiguration (502)',
    async (code, status) => {
      const { client, server } = await clientFor([gatewayError(status, code)]);
      await expect(client.queryJob('20')).rejects.toMatchObject({
        kind: 'gateway',
        upstreamCode: code,
        httpStatus: status,
        statusCode: 502,
        code: 'UpstreamRejected',
        requestId: `REQ-${code}`,
        retryable: false,
      });
      expect(server.requests).toHaveLength(1);
    },
  );

  it('retries throttling, honouring x-acs-retry-after, with a fresh nonce and date each time', async () => {
    let clock = Date.UTC(2025, 0, 1);
    let n = 0;
    const { client, delays, server } = await clientFor(
      [
        gatewayError(400, 'Throttling.User', { 'x-acs-retry-after': '1500' }),
        gatewayError(503, 'ServiceUnavailable'),
        jobResponse(pending),
      ],
      {
        now: () => {
          clock += 1000;
          return clock;
        },
        nonce: () => `nonce-${++n}`,
      },
    );
    const result = await client.queryJob('20');
    expect(result.attempts).toBe(3);
    expect(delays).toEqual([1500, 100]); // 1500 asked by the server (above 0.5·100); then 0.5·200
    const nonces = server.requests.map((r) => r.headers['x-acs-signature-nonce']);
    expect(new Set(nonces).size).toBe(3);
    const dates = server.requests.map((r) => r.headers['x-acs-date']);
    expect(new Set(dates).size).toBe(3);
  });

  it('retries 5xx, non-JSON bodies, UNKNOWN_ERROR and dropped connections', async () => {
    const { client, server } = await clientFor(
      [
        { status: 502, body: '<html>bad gateway</html>' },
        { status: 200, body: '{"truncated' },
        { status: 500, body: { success: false, errCode: 'UNKNOWN_ERROR', errMessage: '未知错误' } },
        'drop',
        jobResponse(pending),
      ],
      { retry: { maxAttempts: 5 } },
    );
    // The drop comes on a kept-alive connection: the transport sends the GET again on a new one at
    // once, as for any connection the server closed while idle, so it costs no attempt.
    await expect(client.queryJob('20')).resolves.toMatchObject({ attempts: 4 });
    expect(server.requests).toHaveLength(5);
  });

  it('signs afresh (new nonce and date) a request sent again after a kept-alive connection dropped', async () => {
    // The gateway refuses a nonce it has seen, even on a request whose connection dropped: the resend
    // must not be the same signed request, or it comes back SignatureNonceUsed instead of the job.
    let clock = Date.parse('2026-11-25T00:00:00Z');
    let n = 0;
    const { client, server } = await clientFor([jobResponse(pending), 'drop', jobResponse(pending)], {
      now: () => (clock += 1_000),
      nonce: () => `nonce-${++n}`,
    });
    await client.queryJob('20');
    await expect(client.queryJob('20')).resolves.toMatchObject({ attempts: 1 });
    expect(server.connections).toBe(2); // the drop came on the kept-alive connection; the resend on a new one
    const [, dropped, resent] = server.requests.map((r) => r.headers);
    expect(resent?.['x-acs-signature-nonce']).not.toBe(dropped?.['x-acs-signature-nonce']);
    expect(resent?.['x-acs-date']).not.toBe(dropped?.['x-acs-date']);
    const expected = expectedAcs3Signature(server.requests[2] as RecordedRequest, '', AK);
    expect(resent?.authorization).toContain(`Signature=${expected}`);
  });

  it('gives up after maxAttempts with the last error, 429 for throttling', async () => {
    const throttled = gatewayError(400, 'Throttling.Api', { 'x-acs-retry-after': '250' });
    const { client, server } = await clientFor([throttled, throttled, throttled, jobResponse(pending)]);
    await expect(client.queryJob('20')).rejects.toMatchObject({
      code: 'UpstreamThrottled',
      statusCode: 429,
      retryAfterMs: 250,
      retryable: true,
    });
    expect(server.requests).toHaveLength(3);
  });

  it('bounds x-acs-retry-after (5 min unless told) and leaves a wait beyond its cap to the caller', async () => {
    const huge = gatewayError(400, 'Throttling.User', { 'x-acs-retry-after': '1000000000000000' });
    const { client, delays, server } = await clientFor([huge, jobResponse(pending)]);
    await expect(client.queryJob('20')).rejects.toMatchObject({ retryAfterMs: 300_000 });
    expect(delays).toEqual([]); // 5 min is beyond the 2 s cap: no early retry within the call
    expect(server.requests).toHaveLength(1);

    const bounded = await clientFor([huge], { maxRetryAfterMs: 60_000 });
    await expect(bounded.client.queryJob('20')).rejects.toMatchObject({ retryAfterMs: 60_000 });
  });

  it('reports a garbled 200 as malformed (503) once retries are spent', async () => {
    const { client } = await clientFor([{ status: 200, body: 'not json' }], { retry: { maxAttempts: 1 } });
    await expect(client.queryJob('20')).rejects.toMatchObject({ kind: 'malformed', statusCode: 503 });
  });

  it('treats success without data as malformed', async () => {
    const { client } = await clientFor([{ status: 200, body: { success: true, data: null } }], {
      retry: { maxAttempts: 1 },
    });
    await expect(client.queryJob('20')).rejects.toMatchObject({ kind: 'malformed' });
  });

  it('speaks HTTPS to an https endpoint (nothing listens here: a network error)', async () => {
    const client = createAicontentClient({
      endpoint: 'https://127.0.0.1:1',
      credentials: () => AK,
      retry: { maxAttempts: 1 },
    });
    await expect(client.queryJob('20')).rejects.toMatchObject({ kind: 'network' });
  });

  it('reports a dropped connection as a network error (503)', async () => {
    const { client } = await clientFor(['drop'], { retry: { maxAttempts: 1 } });
    await expect(client.queryJob('20')).rejects.toMatchObject({
      kind: 'network',
      code: 'UpstreamUnavailable',
    });
  });

  it('times an attempt out and reports it (504)', async () => {
    const { client } = await clientFor([{ ...(jobResponse(pending) as object), delayMs: 500 } as Step], {
      attemptTimeoutMs: 50,
      retry: { maxAttempts: 1 },
    });
    await expect(client.queryJob('20')).rejects.toMatchObject({ kind: 'timeout', statusCode: 504 });
  });

  it('never waits past the deadline: fails with the last error instead', async () => {
    const { client, server } = await clientFor([
      gatewayError(503, 'ServiceUnavailable', { 'x-acs-retry-after': '5000' }),
    ]);
    await expect(client.queryJob('20', { deadline: Date.now() + 1000 })).rejects.toMatchObject({
      upstreamCode: 'ServiceUnavailable',
      retryAfterMs: 5000,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('cuts a slow attempt at the deadline', async () => {
    const { client } = await clientFor([{ ...(jobResponse(pending) as object), delayMs: 1000 } as Step]);
    const started = Date.now();
    await expect(client.queryJob('20', { deadline: started + 100 })).rejects.toMatchObject({
      kind: 'timeout',
    });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('stops at once when the caller aborts', async () => {
    const controller = new AbortController();
    const { client, server } = await clientFor([
      { ...(jobResponse(pending) as object), delayMs: 1000 } as Step,
    ]);
    setTimeout(() => controller.abort(), 50);
    await expect(client.queryJob('20', { signal: controller.signal })).rejects.toMatchObject({
      kind: 'timeout',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('asks for fresh credentials once when the security token is refused, then succeeds', async () => {
    const provider = vi.fn((options?: { refresh?: boolean }) =>
      options?.refresh ? { ...STS, securityToken: 'fresh-token' } : STS,
    );
    const { client, server, delays } = await clientFor(
      [gatewayError(403, 'InvalidSecurityToken.Expired'), jobResponse(pending)],
      { credentials: provider },
    );
    await expect(client.queryJob('20')).resolves.toMatchObject({ attempts: 2 });
    expect(provider.mock.calls.map((call) => call[0])).toEqual([undefined, { refresh: true }]);
    expect(server.requests[1]?.headers['x-acs-security-token']).toBe('fresh-token');
    expect(delays).toEqual([]);
  });

  it('fails after one refresh if the token is still refused', async () => {
    const { client, server } = await clientFor([
      gatewayError(403, 'InvalidSecurityToken.Expired'),
      gatewayError(403, 'InvalidSecurityToken.Expired'),
      jobResponse(pending),
    ]);
    await expect(client.queryJob('20')).rejects.toMatchObject({
      upstreamCode: 'InvalidSecurityToken.Expired',
      credentialsRejected: true,
      statusCode: 502,
    });
    expect(server.requests).toHaveLength(2);
  });

  it('passes a credentials provider failure through unchanged', async () => {
    const { client } = await clientFor([], {
      credentials: () => {
        throw new ConfigError('no credentials');
      },
    });
    await expect(client.queryJob('20')).rejects.toThrow(ConfigError);
  });

  it('serializes an error for logs without secrets', async () => {
    const { client } = await clientFor([gatewayError(400, 'SignatureDoesNotMatch')]);
    const error = await client.queryJob('20').catch((e: unknown) => e);
    const logged = JSON.stringify(error);
    expect(JSON.parse(logged)).toMatchObject({
      upstreamCode: 'SignatureDoesNotMatch',
      requestId: 'REQ-SignatureDoesNotMatch',
    });
    expect(logged).not.toContain(AK.accessKeySecret);
  });
});
