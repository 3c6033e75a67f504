import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NotifyError } from '#shared/notify/notifyError.ts';
import { buildNotification } from '#shared/notify/payload.ts';
import { verifyWebhookSignature, webhookSignature } from '#shared/notify/webhook.ts';
import { endedJob, notifierFor, T0, WEBHOOK_SECRET } from '#test/helpers/notifyTargets.ts';
import { type ScriptedServer, type Step, scriptedServers } from '#test/helpers/scriptedServer.ts';

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
    const { notifier, bodies } = notifierFor(server);
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
    const body = bodies[0] ?? '';
    expect(body).toBe(buildNotification(job).body);
    // The recipe, step by step, as a receiver in any language would write it.
    const expected = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(`${timestamp}.${body}`).digest('hex')}`;
    expect(request.headers['x-aicontent-jobs-signature']).toBe(expected);
    const signed = {
      body,
      timestamp: request.headers['x-aicontent-jobs-timestamp'] as string,
      signature: request.headers['x-aicontent-jobs-signature'] as string,
    };
    expect(verifyWebhookSignature(WEBHOOK_SECRET, signed, T0)).toBe(true);
  });

  it.each([
    ['503', [{ status: 503, body: 'busy' }, ok]],
    ['429', [{ status: 429, body: '' }, ok]],
    ['a dropped connection', ['drop', ok]],
    ['a timeout', [{ status: 204, body: '', delayMs: 300 }, ok]],
  ] satisfies [string, Step[]][])('retries after %s, signing the new attempt afresh', async (_, script) => {
    const { server, job } = await webhookJob(script);
    let clock = T0;
    const { notifier, delays } = notifierFor(server, { attemptTimeoutMs: 100, now: () => (clock += 1000) });
    await notifier.notify(job);
    expect(server.requests).toHaveLength(2);
    expect(delays).toHaveLength(1);
    const timestamps = server.requests.map((r) => r.headers['x-aicontent-jobs-timestamp']);
    expect(timestamps[0]).not.toBe(timestamps[1]);
  });

  it('honours Retry-After when it asks for longer than the backoff', async () => {
    const { server, job } = await webhookJob([
      { status: 503, body: '', headers: { 'retry-after': '1' } },
      ok,
    ]);
    const { notifier, delays } = notifierFor(server);
    await notifier.notify(job);
    expect(delays).toEqual([1000]);
  });

  it.each([
    ['3', 3000],
    ['99999999999999999999', 3_600_000],
  ])(
    'stops retrying when Retry-After %s is beyond its cap, leaving it to a later sweep',
    async (value, ms) => {
      const { server, job } = await webhookJob([
        { status: 503, body: '', headers: { 'retry-after': value } },
        ok,
      ]);
      const { notifier, delays } = notifierFor(server);
      await expect(notifier.notify(job)).rejects.toMatchObject({ retryAfterMs: ms, retryable: true });
      expect(delays).toEqual([]);
      expect(server.requests).toHaveLength(1);
    },
  );

  it.each([400, 401, 404, 410])('does not retry %i', async (status) => {
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

  it('reports a timeout as such once the tries run out, and never names the URL query', async () => {
    const slow: Step = { status: 204, body: '', delayMs: 300 };
    const { server, job } = await webhookJob([slow, slow, slow], '/hook?token=secret-token');
    const { notifier } = notifierFor(server, { attemptTimeoutMs: 50 });
    const error = await notifier.notify(job).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Timeout', retryable: true, target: `webhook ${server.url}/hook` });
    expect(String((error as Error).message)).not.toContain('secret-token');
    expect(server.requests).toHaveLength(3);
  });

  it('gives up at the deadline: the attempt is cut short and no retry starts after it', async () => {
    const { server, job } = await webhookJob([{ status: 204, body: '', delayMs: 500 }, ok]);
    const { notifier, delays } = notifierFor(server, { now: Date.now });
    const started = Date.now();
    const error = await notifier.notify(job, { deadline: started + 100 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Timeout' });
    expect(Date.now() - started).toBeLessThan(400);
    expect(server.requests).toHaveLength(1);
    expect(delays).toHaveLength(0);
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

  it('stops when the caller aborts, without retrying', async () => {
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
  const now = T0;
  const timestamp = Math.floor(now / 1000);
  const signed = {
    body,
    timestamp: String(timestamp),
    signature: webhookSignature(WEBHOOK_SECRET, timestamp, body),
  };

  it('accepts a genuine request within the replay window', () => {
    expect(verifyWebhookSignature(WEBHOOK_SECRET, signed, now)).toBe(true);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, signed, now + 299_000)).toBe(true);
  });

  it('refuses a replay outside the window, a changed body or timestamp, and the wrong secret', () => {
    expect(verifyWebhookSignature(WEBHOOK_SECRET, signed, now + 301_000)).toBe(false);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, signed, now - 301_000)).toBe(false);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, body: `${body} ` }, now)).toBe(false);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, timestamp: String(timestamp + 1) }, now)).toBe(
      false,
    );
    expect(verifyWebhookSignature('another-secret-0123456789', signed, now)).toBe(false);
  });

  it('refuses missing or malformed headers', () => {
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, signature: undefined }, now)).toBe(false);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, timestamp: undefined }, now)).toBe(false);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, timestamp: '1e9' }, now)).toBe(false);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, { ...signed, signature: 'sha256=00' }, now)).toBe(false);
  });
});
