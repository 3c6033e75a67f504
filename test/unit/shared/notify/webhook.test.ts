import { createHmac } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import net, { type AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { NotifierOptions } from '#shared/notify/notifier.ts';
import { NotifyError, WEBHOOK_FAILED } from '#shared/notify/notifyError.ts';
import { buildNotification } from '#shared/notify/payload.ts';
import { targetAllowlist } from '#shared/notify/targetAllowlist.ts';
import { verifyWebhookSignature, webhookSignature } from '#shared/notify/webhook.ts';
import {
  endedJob,
  forbidSystemDns,
  notifierFor,
  stubResolver,
  T0,
  WEBHOOK_SECRET,
} from '#test/helpers/notifyTargets.ts';
import { type ScriptedServer, type Step, scriptedServers } from '#test/helpers/scriptedServer.ts';
import { selfSignedCert } from '#test/helpers/selfSignedCert.ts';

const startServer = scriptedServers();
let server: ScriptedServer | undefined;

const ok: Step = { status: 204, body: '' };

async function webhookJob(script: Step[], path = '/hooks/aicontent') {
  server = await startServer(script);
  return { server, job: endedJob({ notify: { type: 'webhook', url: `${server.url}${path}` } }) };
}

describe('webhook delivery', () => {
  it('POSTs the payload with a signature the documented recipe verifies', async () => {
    const { server, job } = await webhookJob([ok], '/hooks/aicontent?token=abc');
    const { notifier } = notifierFor(server);
    await notifier.notify(job);

    const [request] = server.requests;
    if (!request) throw new Error('no request');
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hooks/aicontent?token=abc');
    const timestamp = String(Math.floor(T0 / 1000));
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'x-aicontent-jobs-timestamp': timestamp,
      'x-aicontent-jobs-idempotency-key': 'job-1:succeeded',
    });
    const body = request.body;
    expect(body).toBe(buildNotification(job).body);
    // The recipe, step by step, as a receiver in any language would write it: the URL it is reached at.
    const url = `${server.url}/hooks/aicontent?token=abc`;
    const message = Buffer.concat([Buffer.from(`v2\n${timestamp}\n${url}\n`), Buffer.from(body)]);
    const expected = `v2=${createHmac('sha256', WEBHOOK_SECRET).update(message).digest('hex')}`;
    expect(request.headers['x-aicontent-jobs-signature']).toBe(expected);
    const signed = {
      url,
      body: Buffer.from(body),
      timestamp: request.headers['x-aicontent-jobs-timestamp'] as string,
      signature: request.headers['x-aicontent-jobs-signature'] as string,
    };
    expect(verifyWebhookSignature(WEBHOOK_SECRET, signed, T0)).toBe(true);
  });

  it('binds the signature to the destination: a body signed for a caller’s URL fails at the deployment’s own', async () => {
    // A caller registers its own URL and receives a signed notification there…
    const { server, job } = await webhookJob([ok], '/attacker');
    await notifierFor(server).notifier.notify(job);
    const [request] = server.requests;
    if (!request) throw new Error('no request');
    const captured = {
      body: request.body,
      timestamp: request.headers['x-aicontent-jobs-timestamp'] as string,
      signature: request.headers['x-aicontent-jobs-signature'] as string,
    };
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...captured, url: `${server.url}/attacker` }, T0)).toBe(
      true,
    );
    // …and replays it, within the replay window, to the deployment's NOTIFY_URL receiver: refused.
    for (const url of [
      `${server.url}/receiver`,
      'https://hooks.example.test/aicontent',
      `${server.url}/attacker?x`,
    ]) {
      expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...captured, url }, T0), url).toBe(false);
    }
  });

  it.each([
    ['503', 'Http503', { status: 503, body: 'busy' }],
    ['429', 'Http429', { status: 429, body: '' }],
    ['a dropped connection', 'NetworkError', 'drop'],
    ['a timeout', 'Timeout', { status: 204, body: '', delayMs: 800 }],
  ] satisfies [string, string, Step][])(
    'tells %s as worth another try, and signs the next try afresh',
    async (_, code, failure) => {
      const { server, job } = await webhookJob([failure, ok]);
      let clock = T0;
      const { notifier } = notifierFor(server, { attemptTimeoutMs: 300, now: () => (clock += 1000) });
      await expect(notifier.notify(job)).rejects.toMatchObject({ code, retryable: true });
      await notifier.notify(job);
      expect(server.requests).toHaveLength(2);
      const timestamps = server.requests.map((r) => r.headers['x-aicontent-jobs-timestamp']);
      expect(timestamps[0]).not.toBe(timestamps[1]);
    },
  );

  it.each([
    ['1', 1000],
    ['3', 3000],
    ['99999999999999999999', 3_600_000],
  ])('carries Retry-After %s on the error (at most an hour), for the sweeper to wait', async (value, ms) => {
    const { server, job } = await webhookJob([
      { status: 503, body: '', headers: { 'retry-after': value } },
      ok,
    ]);
    const { notifier } = notifierFor(server);
    await expect(notifier.notify(job)).rejects.toMatchObject({ retryAfterMs: ms, retryable: true });
    expect(server.requests).toHaveLength(1);
  });

  it.each([400, 401, 404, 410])('tells %i as a refusal, not worth another try', async (status) => {
    const { server, job } = await webhookJob([{ status, body: 'no' }, ok]);
    const { notifier } = notifierFor(server);
    const error = await notifier.notify(job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotifyError);
    expect(error).toMatchObject({ code: `Http${status}`, httpStatus: status, retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('does not follow a redirect with the signed body', async () => {
    const { server, job } = await webhookJob([
      { status: 308, body: '', headers: { location: 'http://127.0.0.1:1/elsewhere' } },
    ]);
    const { notifier } = notifierFor(server);
    await expect(notifier.notify(job)).rejects.toMatchObject({ code: 'Http308', retryable: false });
  });

  it('reports a timeout as such, and never names the URL query', async () => {
    const slow: Step = { status: 204, body: '', delayMs: 300 };
    const { server, job } = await webhookJob([slow], '/hook?token=secret-token');
    const { notifier } = notifierFor(server, { attemptTimeoutMs: 50 });
    const error = await notifier.notify(job).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Timeout', retryable: true, target: `webhook ${server.url}/hook` });
    expect(String((error as Error).message)).not.toContain('secret-token');
    expect(server.requests).toHaveLength(1);
  });

  it('gives up at the deadline: the attempt is cut short', async () => {
    const { server, job } = await webhookJob([{ status: 204, body: '', delayMs: 500 }, ok]);
    const { notifier } = notifierFor(server, { now: Date.now });
    const started = Date.now();
    const error = await notifier.notify(job, { deadline: started + 100 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Timeout' });
    expect(Date.now() - started).toBeLessThan(400);
    expect(server.requests).toHaveLength(1);
  });

  it('does not start when the deadline has passed', async () => {
    const { server, job } = await webhookJob([ok]);
    const { notifier } = notifierFor(server);
    await expect(notifier.notify(job, { deadline: T0 })).rejects.toMatchObject({
      code: 'DeadlineExceeded',
      retryable: true,
    });
    expect(server.requests).toHaveLength(0);
  });

  it('stops when the caller aborts', async () => {
    const { server, job } = await webhookJob([{ status: 204, body: '', delayMs: 500 }, ok]);
    const { notifier } = notifierFor(server);
    const error = await notifier.notify(job, { signal: AbortSignal.timeout(50) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Aborted', retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('refuses http: unless allowed, and never sends unsigned', async () => {
    const { server, job } = await webhookJob([ok]);
    const strict = notifierFor(server, { allowHttpWebhooks: false }).notifier;
    await expect(strict.notify(job)).rejects.toMatchObject({ code: 'InvalidNotifyTarget', retryable: false });
    const unsigned = notifierFor(server, { webhookSecret: undefined }).notifier;
    await expect(unsigned.notify(job)).rejects.toMatchObject({
      code: 'WebhookSecretMissing',
      retryable: false,
    });
    expect(server.requests).toHaveLength(0);
  });
});

describe('verifyWebhookSignature', () => {
  const body = '{"jobId":"j"}';
  const url = 'https://hooks.example.test/aicontent?token=abc';
  const now = T0;
  const timestamp = Math.floor(now / 1000);
  const signed = {
    url,
    body,
    timestamp: String(timestamp),
    signature: webhookSignature(WEBHOOK_SECRET, timestamp, url, body),
  };

  it('accepts a genuine request within the replay window, the body as text or bytes', () => {
    expect(verifyWebhookSignature(WEBHOOK_SECRET, signed, now)).toBe(true);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, signed, now + 299_000)).toBe(true);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, body: Buffer.from(body) }, now)).toBe(true);
  });

  it('matches a vector computed with openssl, for receivers in other languages', () => {
    // printf 'v2\n1764057790\nhttps://hooks.example.com/aicontent?token=abc\n{"jobId":"20","state":"succeeded"}' |
    //   openssl dgst -sha256 -hmac 'test-webhook-secret-0123456789'
    const vector = {
      url: 'https://hooks.example.com/aicontent?token=abc',
      body: '{"jobId":"20","state":"succeeded"}',
      timestamp: '1764057790',
      signature: 'v2=1a6dc56bc31cddcbe9434f167e14c538aa3622f70521a5973cd55900fd12c001',
    };
    expect(webhookSignature(WEBHOOK_SECRET, 1764057790, vector.url, vector.body)).toBe(vector.signature);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, vector, 1764057790_000)).toBe(true);
  });

  it('takes the URL in any spelling of its canonical form (case, default port, fragment)', () => {
    for (const same of [
      'HTTPS://Hooks.Example.TEST:443/aicontent?token=abc',
      'https://hooks.example.test/aicontent?token=abc#part',
    ]) {
      expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, url: same }, now), same).toBe(true);
    }
  });

  it('refuses a replay outside the window, a changed body, timestamp or URL, and the wrong secret', () => {
    expect(verifyWebhookSignature(WEBHOOK_SECRET, signed, now + 301_000)).toBe(false);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, signed, now - 301_000)).toBe(false);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, body: `${body} ` }, now)).toBe(false);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, timestamp: String(timestamp + 1) }, now)).toBe(
      false,
    );
    for (const other of [
      'https://hooks.example.test/aicontent?token=abd',
      'https://hooks.example.test/aicontent',
      'http://hooks.example.test/aicontent?token=abc',
      'https://hooks.example.test:8443/aicontent?token=abc',
      'not a url',
    ]) {
      expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, url: other }, now), other).toBe(false);
    }
    expect(verifyWebhookSignature('another-secret-0123456789', signed, now)).toBe(false);
  });

  it('refuses a v1 signature (sha256=, which bound no URL)', () => {
    const v1 = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(`${timestamp}.${body}`).digest('hex')}`;
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, signature: v1 }, now)).toBe(false);
  });

  it('accepts the header with several entries when one v2 entry matches', () => {
    const list = `v3=${'0'.repeat(64)}, ${signed.signature}`;
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, signature: list }, now)).toBe(true);
    const none = `v2=${'0'.repeat(64)},sha256=${'1'.repeat(64)}`;
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, signature: none }, now)).toBe(false);
  });

  it('refuses missing or malformed headers', () => {
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, signature: undefined }, now)).toBe(false);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, timestamp: undefined }, now)).toBe(false);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, timestamp: '1e9' }, now)).toBe(false);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, signature: 'v2=00' }, now)).toBe(false);
  });
});

describe('webhook addresses', () => {
  forbidSystemDns();

  /** Fails the test at the first connection attempt, before any packet could leave. */
  function forbidConnections() {
    return vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(() => {
      throw new Error('no connection may be made here');
    });
  }

  const HOST = 'hooks.example.test';

  async function hostJob(names: Record<string, string[]>, options: Partial<NotifierOptions> = {}) {
    server = await startServer([ok, ok]);
    const port = new URL(server.url).port;
    const url = `http://${HOST}:${port}/hook?token=abc`;
    const resolve = stubResolver(names);
    const { notifier } = notifierFor(server, {
      resolve,
      allowedTargets: targetAllowlist(`url:http://${HOST}:${port}/`),
      ...options,
    });
    return { server, resolve, notifier, job: endedJob({ notify: { type: 'webhook', url } }) };
  }

  it.each([
    ['loopback', ['127.0.0.1']],
    ['loopback in another spelling of the resolver', ['127.1.2.3']],
    ['IPv6 loopback', ['::1']],
    ['a VPC address', ['10.1.2.3']],
    ['the metadata service', ['100.100.100.200']],
    ['a link-local address', ['169.254.169.254']],
    ['a CGNAT address', ['100.64.0.1']],
    ['a unique-local address', ['fd00:ec2::254']],
    ['an IPv4-mapped address', ['::ffff:10.0.0.1']],
    ['a NAT64 address', ['64:ff9b::a00:1']],
    ['a public and a private address', ['8.8.8.8', '10.0.0.1']],
    ['no address at all', []],
  ])('refuses a host that resolves to %s, before connecting', async (_, addresses) => {
    const connects = forbidConnections();
    const { notifier, job, resolve } = await hostJob({ [HOST]: addresses }, { allowPrivateAddresses: false });
    const error = await notifier.notify(job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotifyError);
    expect(error).toMatchObject({ code: 'AddressNotAllowed', retryable: false, summary: WEBHOOK_FAILED });
    expect((error as Error).message).not.toContain('token=abc');
    expect(resolve.asked).toEqual([HOST]);
    expect(connects).not.toHaveBeenCalled();
  });

  it('refuses a stored target whose host is a literal address that is not public, before connecting', async () => {
    const connects = forbidConnections();
    server = await startServer([ok]);
    const { notifier } = notifierFor(server, { allowPrivateAddresses: false });
    for (const host of ['127.0.0.1', '0x7f.1', '[::ffff:7f00:1]', '169.254.169.254']) {
      const job = endedJob({
        notify: { type: 'webhook', url: `${server.url.replace('127.0.0.1', host)}/h` },
      });
      await expect(notifier.notify(job), host).rejects.toMatchObject({ code: 'InvalidNotifyTarget' });
    }
    expect(connects).not.toHaveBeenCalled();
  });

  it('reports a host that does not resolve as a network failure, without connecting', async () => {
    const connects = forbidConnections();
    const { notifier, job } = await hostJob({});
    await expect(notifier.notify(job)).rejects.toMatchObject({ code: 'NetworkError', retryable: true });
    expect(connects).not.toHaveBeenCalled();
  });

  it('gives up on a lookup that does not answer when the attempt’s time is up', async () => {
    server = await startServer([]);
    const { notifier } = notifierFor(server, {
      resolve: () => new Promise(() => {}),
      attemptTimeoutMs: 100,
      allowedTargets: targetAllowlist(`url:http://${HOST}/`),
    });
    const started = Date.now();
    const job = endedJob({ notify: { type: 'webhook', url: `http://${HOST}/hook` } });
    await expect(notifier.notify(job)).rejects.toMatchObject({ code: 'Timeout' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('connects to the address it resolved, once per attempt, with the host name in Host', async () => {
    const { server, notifier, job, resolve } = await hostJob({ [HOST]: ['127.0.0.1'] });
    server.script.unshift({ status: 503, body: '' });
    await expect(notifier.notify(job)).rejects.toMatchObject({ code: 'Http503' });
    await notifier.notify(job);
    expect(server.requests).toHaveLength(2);
    const port = new URL(server.url).port;
    expect(server.requests.map((r) => [r.url, r.headers.host])).toEqual([
      ['/hook?token=abc', `${HOST}:${port}`],
      ['/hook?token=abc', `${HOST}:${port}`],
    ]);
    expect(resolve.asked).toEqual([HOST, HOST]); // and the system resolver never (forbidSystemDns)
  });

  describe('over HTTPS', () => {
    let tls = { key: '', cert: '' };
    beforeAll(async () => {
      tls = await selfSignedCert(`DNS:${HOST}`);
    });

    async function httpsReceiver() {
      const seen: { servername: string | false | null; host: string | undefined }[] = [];
      const receiver = createHttpsServer(tls, (req, res) => {
        seen.push({ servername: (req.socket as TLSSocket).servername, host: req.headers.host });
        req.resume();
        req.on('end', () => res.writeHead(204).end());
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const port = (receiver.address() as AddressInfo).port;
      onTestFinished(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
      return { seen, port };
    }

    it('verifies the certificate for the host name and sends it as SNI, connected to the checked address', async () => {
      const { seen, port } = await httpsReceiver();
      server = await startServer([]);
      const resolve = stubResolver({ [HOST]: ['127.0.0.1'] });
      const { notifier } = notifierFor(server, {
        resolve,
        webhookCa: tls.cert,
        allowedTargets: targetAllowlist(`url:https://${HOST}:${port}/`),
      });
      await notifier.notify(endedJob({ notify: { type: 'webhook', url: `https://${HOST}:${port}/hook` } }));
      expect(seen).toEqual([{ servername: HOST, host: `${HOST}:${port}` }]);
    });

    it('refuses a certificate that is not for the host name', async () => {
      const { seen, port } = await httpsReceiver();
      server = await startServer([]);
      const other = 'other.example.test';
      const { notifier } = notifierFor(server, {
        resolve: stubResolver({ [other]: ['127.0.0.1'] }),
        webhookCa: tls.cert,
        allowedTargets: targetAllowlist(`url:https://${other}:${port}/`),
      });
      const job = endedJob({ notify: { type: 'webhook', url: `https://${other}:${port}/hook` } });
      await expect(notifier.notify(job)).rejects.toMatchObject({ code: 'NetworkError' });
      expect(seen).toEqual([]);
    });
  });
});
