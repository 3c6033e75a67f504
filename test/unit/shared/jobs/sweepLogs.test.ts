/**
 * What the sweep logs, so that an operator sees why: each failed poll, the probable cause when most
 * polls fail alike (the table of causes, row by row), each notification with its target, errors by code
 * in "sweep done", and nothing of its own for an idle tick.
 */
import { describe, expect, it } from 'vitest';
import { AicontentError, type AicontentErrorDetails } from '#shared/aicontent/errors.ts';
import { parseJob } from '#shared/aicontent/job.ts';
import { readSweepPolicy } from '#shared/config.ts';
import { AppError } from '#shared/errors.ts';
import type { JobStore, NotifyTarget } from '#shared/jobs/jobStore.ts';
import { PROBABLE_CAUSES, pollFailure, probableCause } from '#shared/jobs/pollFailures.ts';
import { type Notifier, sweep } from '#shared/jobs/sweep.ts';
import { createLogger, type LogLevel } from '#shared/log.ts';
import { createMemoryStore } from '#shared/stores/memoryStore.ts';

const T0 = Date.UTC(2026, 10, 25);
const notFound = () =>
  new AicontentError({ kind: 'business', httpStatus: 404, errCode: 'B_DATA_NOT_FOUND_EXCEPTION' });
const forbidden = () =>
  new AicontentError({ kind: 'gateway', httpStatus: 403, code: 'Forbidden.RAM', requestId: 'REQ-FAKE-1' });

type Answer = 'INFERRING' | 'FINISHED' | (() => Error);

interface Logged {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** One sweep over the given jobs (id → what aicontent answers), logged at `level`. */
async function sweepOnce(
  answers: Record<string, Answer>,
  options: { level?: LogLevel; notify?: NotifyTarget; notifyError?: Error; store?: JobStore } = {},
) {
  const store = options.store ?? createMemoryStore();
  for (const id of Object.keys(answers)) await store.track({ id, notify: options.notify, now: T0 });
  const lines: Logged[] = [];
  const notifier: Notifier = {
    targetFor: (job) => job.notify ?? { type: 'function', name: 'on-job-done' },
    notify: async () => {
      if (options.notifyError) throw options.notifyError;
    },
  };
  const summary = await sweep(
    {
      store,
      notifier,
      owner: 'sweeper-1',
      now: () => T0,
      random: () => 0.5,
      log: createLogger({ level: options.level ?? 'info', write: (line) => lines.push(JSON.parse(line)) }),
      query: async (id) => {
        const answer = answers[id] ?? 'INFERRING';
        if (typeof answer === 'function') throw answer();
        return { job: parseJob({ id, jobStatus: answer, resultImageUrl: ['0000.png'] }, id) };
      },
    },
    { ...readSweepPolicy({}), jitter: 'none' },
    { deadline: T0 + 60_000 },
  );
  return { summary, lines, named: (msg: string) => lines.filter((line) => line.msg === msg) };
}

describe('failed polls', () => {
  it('are each logged once with the job id, code and message, and counted by code in "sweep done"', async () => {
    const { summary, named } = await sweepOnce({ a: notFound, b: notFound, c: notFound, d: notFound });
    expect(named('poll failed')).toHaveLength(4);
    expect(named('poll failed')[0]).toMatchObject({
      level: 'warn',
      jobId: 'a',
      code: 'JobNotFound',
      message: 'no such inference job',
      upstreamCode: 'B_DATA_NOT_FOUND_EXCEPTION',
      attempts: 1,
      nextPollAt: expect.any(String),
    });
    expect(new Set(named('poll failed').map((line) => line.jobId))).toEqual(new Set(['a', 'b', 'c', 'd']));
    expect(summary.errorsByCode).toEqual({ JobNotFound: 4 });
    expect(named('sweep done')).toMatchObject([
      { level: 'info', errors: 4, errorsByCode: { JobNotFound: 4 } },
    ]);
  });

  it('say what the gateway said, and its request id, without a stack', async () => {
    const { named } = await sweepOnce({ a: forbidden });
    const [line] = named('poll failed');
    expect(line).toMatchObject({
      code: 'UpstreamRejected',
      message: 'aicontent rejected our request (Forbidden.RAM)',
      upstreamCode: 'Forbidden.RAM',
      upstreamRequestId: 'REQ-FAKE-1',
    });
    expect(JSON.stringify(line)).not.toContain('stack');
  });

  it('of a bug (not one of our errors) are logged as errors, with the stack', async () => {
    const { named, summary } = await sweepOnce({ a: () => new TypeError('x is undefined') });
    expect(named('poll failed')).toMatchObject([
      {
        level: 'error',
        code: 'InternalError',
        message: 'x is undefined',
        error: { stack: expect.any(String) },
      },
    ]);
    expect(summary.errorsByCode).toEqual({ InternalError: 1 });
  });
});

describe('the probable cause', () => {
  const gateway = (code: string): AicontentErrorDetails => ({ kind: 'gateway', httpStatus: 403, code });
  const network = (code: string): AicontentErrorDetails => ({
    kind: 'network',
    cause: Object.assign(new Error(`getaddrinfo ${code} aicontent.aliyuncs.com`), { code }),
  });
  it.each<[string, AicontentErrorDetails, RegExp | undefined]>([
    ['Forbidden.RAM', gateway('Forbidden.RAM'), /RAM role.*ram\/sweeper-policy\.json.*SWEEPER_ROLE/],
    ['NoPermission', gateway('NoPermission'), /RAM role/],
    [
      'InvalidSecurityToken.Expired',
      gateway('InvalidSecurityToken.Expired'),
      /STS credentials.*SWEEPER_ROLE/,
    ],
    ['InvalidAccessKeyId.NotFound', gateway('InvalidAccessKeyId.NotFound'), /STS credentials/],
    ['SignatureDoesNotMatch', gateway('SignatureDoesNotMatch'), /STS credentials/],
    ['Throttling.User', gateway('Throttling.User'), /SWEEP_CONCURRENCY.*quota/],
    ['ENOTFOUND', network('ENOTFOUND'), /AICONTENT_ENDPOINT.*internet.*NAT gateway/],
    ['ECONNREFUSED', network('ECONNREFUSED'), /AICONTENT_ENDPOINT/],
    ['a timeout', { kind: 'timeout' }, /AICONTENT_ENDPOINT/],
    ['InvalidApi.NotFound', gateway('InvalidApi.NotFound'), /AICONTENT_ENDPOINT/],
    ['JobNotFound', { kind: 'business', errCode: 'B_DATA_NOT_FOUND_EXCEPTION' }, undefined],
    ['ServiceUnavailable', { kind: 'gateway', httpStatus: 503, code: 'ServiceUnavailable' }, undefined],
  ])('%s', (_, details, cause) => {
    const failure = pollFailure(new AicontentError(details));
    const found = probableCause(failure.upstreamCode ?? failure.code);
    if (cause) expect(found).toMatch(cause);
    else expect(found).toBeUndefined();
  });

  it('has no row that another row hides', () => {
    const examples = ['Forbidden.RAM', 'InvalidSecurityToken.Expired', 'Throttling', 'ENOTFOUND'];
    expect(examples.map((code) => PROBABLE_CAUSES.findIndex((row) => row.codes.test(code)))).toEqual([
      0, 1, 2, 3,
    ]);
  });

  it('is one warning when most polls of a sweep fail with the same code', async () => {
    const { lines } = await sweepOnce({ a: forbidden, b: forbidden, c: forbidden, d: 'INFERRING' });
    const warnings = lines.filter((line) => line.msg.startsWith('most polls failed'));
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: expect.stringMatching(/^most polls failed with Forbidden\.RAM: permission: .*SWEEPER_ROLE/),
        code: 'Forbidden.RAM',
        failed: 3,
        polls: 4,
      }),
    ]);
  });

  it('is not said when only half the polls fail, or when the code has no known cause', async () => {
    const half = await sweepOnce({ a: forbidden, b: forbidden, c: 'INFERRING', d: 'INFERRING' });
    const unknownJobs = await sweepOnce({ a: notFound, b: notFound });
    for (const { lines } of [half, unknownJobs]) {
      expect(lines.filter((line) => line.msg.startsWith('most polls failed'))).toEqual([]);
    }
  });
});

describe('notifications', () => {
  it('sent are logged with their target', async () => {
    const { named } = await sweepOnce({ a: 'FINISHED' });
    expect(named('notification sent')).toMatchObject([
      { level: 'info', jobId: 'a', state: 'succeeded', target: 'function on-job-done', notifyAttempts: 1 },
    ]);
  });

  it('failed are logged with their target (no URL query), code and error', async () => {
    const notify: NotifyTarget = {
      type: 'webhook',
      url: 'https://hooks.example.test/done?token=FAKE-TOKEN-1',
    };
    const notifyError = new AppError('WebhookFailed', 'the webhook answered 500', { statusCode: 502 });
    const { lines, named } = await sweepOnce({ a: 'FINISHED' }, { notify, notifyError });
    expect(named('notification failed: will retry')).toMatchObject([
      {
        level: 'warn',
        jobId: 'a',
        target: 'webhook https://hooks.example.test/done',
        code: 'WebhookFailed',
        error: { message: 'the webhook answered 500' },
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain('FAKE-TOKEN-1');
  });
});

describe('"sweep done"', () => {
  it('counts every error by code: they add up to errors', async () => {
    const store = createMemoryStore();
    const failingStore: JobStore = Object.assign(Object.create(store), {
      commit: async () => {
        throw new AppError('StoreUnavailable', 'the job store is not answering', { statusCode: 503 });
      },
    });
    const { summary } = await sweepOnce({ a: notFound, b: 'INFERRING' }, { store: failingStore });
    expect(summary.errorsByCode).toEqual({ JobNotFound: 1, StoreUnavailable: 2 });
    expect(summary.errors).toBe(3);
  });

  it('of an idle sweep (nothing claimed) is a debug line only', async () => {
    expect((await sweepOnce({})).lines).toEqual([]);
    expect((await sweepOnce({}, { level: 'debug' })).lines).toMatchObject([
      { level: 'debug', msg: 'sweep done', claimed: 0 },
    ]);
  });
});
