/**
 * The sweep's decisions as tables: what a poll's answer or failure, and what a notification's try,
 * change on the job, and what the sweep counts. Default policy (readSweepPolicy({})): polls every 10 s,
 * ×1.5 a poll, at most 300 s apart, 200 polls or a day at most; notifications retried from 30 s,
 * doubling, at most an hour apart, 20 tries at most.
 */
import { describe, expect, it } from 'vitest';
import { AicontentError } from '#shared/aicontent/errors.ts';
import { parseJob } from '#shared/aicontent/job.ts';
import { readSweepPolicy, type SweepPolicy } from '#shared/config.ts';
import { AppError } from '#shared/errors.ts';
import {
  decideNotification,
  decidePoll,
  type NotifyDecision,
  type NotifyOutcome,
  type PollDecision,
  type PollOutcome,
} from '#shared/jobs/decisions.ts';
import { newTrackedJob, type TrackedJob } from '#shared/jobs/jobStore.ts';

const T0 = Date.UTC(2026, 10, 25);
const AT = T0 + 1_000;
const DAY = 86_400_000;
const policy: SweepPolicy = { ...readSweepPolicy({}), jitter: 'none' };
const half = () => 0.5;

const job = (fields: Partial<TrackedJob> = {}): TrackedJob => ({
  ...newTrackedJob({ id: 'j1', now: T0 }),
  status: 'INFERRING',
  ...fields,
});
const answer = (jobStatus: string): PollOutcome => ({
  upstream: parseJob(
    { id: 'j1', jobStatus, resultImageUrl: jobStatus === 'FINISHED' ? ['0000.png'] : null },
    'j1',
  ),
});
const throttled = (retryAfterMs?: number) =>
  new AicontentError({ kind: 'gateway', code: 'Throttling.User', retryAfterMs });
const unavailable = new AicontentError({ kind: 'gateway', httpStatus: 503, code: 'ServiceUnavailable' });
const notFound = new AicontentError({
  kind: 'business',
  httpStatus: 404,
  errCode: 'B_DATA_NOT_FOUND_EXCEPTION',
});
const BUG_TEXT = 'InternalError: failed (the log has the details)';
const GONE = 'not found: aicontent does not know the job (3 answers in a row, a minute or more apart)';

/** A decision that keeps polling: its changes but `nextPollAt`, and the wait. */
const polledAgain = (waitMs: number, changes: object, errorCode?: string): PollDecision => ({
  outcome: 'rescheduled',
  changes: { lastPolledAt: AT, nextPollAt: AT + waitMs, ...changes },
  ...(errorCode ? { errorCode } : {}),
});
const givenUp = (reason: string, changes: object, errorCode?: string): PollDecision => ({
  outcome: 'gaveUp',
  changes: { lastPolledAt: AT, state: 'gave_up', reason, finishedAt: AT, nextPollAt: null, ...changes },
  ...(errorCode ? { errorCode } : {}),
});

describe('decidePoll: aicontent answered', () => {
  const seen = (attempts: number, status = 'INFERRING') => ({ attempts, lastError: null, status });
  it.each<[string, Partial<TrackedJob>, string, Partial<SweepPolicy>, PollDecision]>([
    [
      'FINISHED: succeeded, with its images',
      {},
      'FINISHED',
      {},
      {
        outcome: 'succeeded',
        changes: {
          ...seen(1, 'FINISHED'),
          lastPolledAt: AT,
          state: 'succeeded',
          images: ['0000.png'],
          finishedAt: AT,
          nextPollAt: null,
        },
      },
    ],
    [
      'OOM: failed',
      {},
      'OOM',
      {},
      {
        outcome: 'failed',
        changes: {
          ...seen(1, 'OOM'),
          lastPolledAt: AT,
          state: 'failed',
          images: [],
          finishedAt: AT,
          nextPollAt: null,
        },
      },
    ],
    [
      'a terminal state wins over a spent budget',
      { attempts: 199, firstSeenAt: T0 - 2 * DAY },
      'OOM',
      {},
      {
        outcome: 'failed',
        changes: {
          ...seen(200, 'OOM'),
          lastPolledAt: AT,
          state: 'failed',
          images: [],
          finishedAt: AT,
          nextPollAt: null,
        },
      },
    ],
    ['pending: polled again after POLL_INTERVAL', {}, 'INFERRING', {}, polledAgain(10_000, seen(1))],
    [
      'pending, full jitter: a random wait under the ceiling',
      {},
      'INFERRING',
      { jitter: 'full' },
      polledAgain(5_000, seen(1)),
    ],
    [
      'the wait grows by POLL_BACKOFF_PERCENT a poll',
      { attempts: 3 },
      'WAIT_SCHEDULE',
      {},
      polledAgain(33_750, seen(4, 'WAIT_SCHEDULE')),
    ],
    [
      'the wait stops at MAX_POLL_INTERVAL',
      { attempts: 20 },
      'INFERRING',
      {},
      polledAgain(300_000, seen(21)),
    ],
    [
      'MAX_POLL_ATTEMPTS polls without an end: given up',
      { attempts: 199 },
      'INFERRING',
      {},
      givenUp('no terminal state after 200 polls (MAX_POLL_ATTEMPTS)', seen(200)),
    ],
    [
      'MAX_JOB_AGE without an end: given up',
      { firstSeenAt: AT - DAY },
      'INFERRING',
      {},
      givenUp('no terminal state after 86400 s (MAX_JOB_AGE_SECONDS)', seen(1)),
    ],
    [
      'just short of MAX_JOB_AGE: polled again',
      { firstSeenAt: AT - DAY + 1 },
      'INFERRING',
      {},
      polledAgain(10_000, seen(1)),
    ],
    [
      'a status we do not know, new for the job: pending, and said',
      {},
      'PAUSED',
      {},
      { ...polledAgain(10_000, seen(1, 'PAUSED')), unknownStatus: 'PAUSED' },
    ],
    [
      'a status we do not know that the job already had: not said again',
      { status: 'PAUSED' },
      'PAUSED',
      {},
      polledAgain(10_000, seen(1, 'PAUSED')),
    ],
    [
      'an answer after "not found" ones starts their count again',
      { notFoundCount: 2, attempts: 2 },
      'INFERRING',
      {},
      polledAgain(22_500, { ...seen(3), notFoundCount: 0 }),
    ],
  ])('%s', (_, fields, status, overrides, expected) => {
    expect(decidePoll(job(fields), answer(status), { ...policy, ...overrides }, AT, half)).toEqual(expected);
  });
});

describe('decidePoll: the poll failed', () => {
  const failed = (attempts: number, lastError: string) => ({ attempts, lastError });
  it.each<[string, Partial<TrackedJob>, unknown, Partial<SweepPolicy>, PollDecision]>([
    [
      'one of our errors: polled again with backoff, its summary as lastError, counted by its code',
      {},
      unavailable,
      {},
      polledAgain(
        10_000,
        failed(1, 'UpstreamUnavailable: aicontent is unavailable (ServiceUnavailable)'),
        'UpstreamUnavailable',
      ),
    ],
    [
      'a bug: InternalError, its message not shown',
      {},
      new TypeError('x is undefined'),
      {},
      polledAgain(10_000, failed(1, BUG_TEXT), 'InternalError'),
    ],
    [
      'a retry-after longer than the backoff: waited',
      {},
      throttled(90_000),
      {},
      polledAgain(
        90_000,
        failed(1, 'UpstreamThrottled: aicontent is throttling requests (Throttling.User)'),
        'UpstreamThrottled',
      ),
    ],
    [
      'a retry-after shorter than the backoff: the backoff',
      { attempts: 1 },
      throttled(1_000),
      {},
      polledAgain(15_000, failed(2, throttled().summary), 'UpstreamThrottled'),
    ],
    [
      'a retry-after past MAX_POLL_INTERVAL: clamped to it',
      {},
      throttled(1e15),
      { maxPollIntervalMs: 60_000 },
      polledAgain(60_000, failed(1, throttled().summary), 'UpstreamThrottled'),
    ],
    [
      'a retry-after with full jitter: never sooner than asked',
      {},
      throttled(7_000),
      { jitter: 'full' },
      polledAgain(7_000, failed(1, throttled().summary), 'UpstreamThrottled'),
    ],
    [
      'full jitter and no retry-after: a random wait',
      {},
      unavailable,
      { jitter: 'full' },
      polledAgain(5_000, failed(1, unavailable.summary), 'UpstreamUnavailable'),
    ],
    [
      'a retry-after that is not a number: the backoff',
      {},
      Object.assign(new Error('busy'), { retryAfterMs: 'soon' }),
      {},
      polledAgain(10_000, failed(1, BUG_TEXT), 'InternalError'),
    ],
    [
      'MAX_POLL_ATTEMPTS spent: given up',
      { attempts: 199 },
      unavailable,
      {},
      givenUp(
        'no terminal state after 200 polls (MAX_POLL_ATTEMPTS)',
        failed(200, unavailable.summary),
        'UpstreamUnavailable',
      ),
    ],
    [
      'MAX_JOB_AGE spent: given up',
      { firstSeenAt: AT - 2 * DAY },
      unavailable,
      {},
      givenUp(
        'no terminal state after 172800 s (MAX_JOB_AGE_SECONDS)',
        failed(1, unavailable.summary),
        'UpstreamUnavailable',
      ),
    ],
    [
      'not found, once: asked again a minute later, counted',
      {},
      notFound,
      {},
      polledAgain(
        60_000,
        { ...failed(1, 'JobNotFound: no such inference job'), notFoundCount: 1 },
        'JobNotFound',
      ),
    ],
    [
      'not found, twice in a row: asked again a minute later',
      { attempts: 1, notFoundCount: 1 },
      notFound,
      {},
      polledAgain(60_000, { ...failed(2, notFound.summary), notFoundCount: 2 }, 'JobNotFound'),
    ],
    [
      'not found, three times in a row: given up',
      { attempts: 2, notFoundCount: 2 },
      notFound,
      {},
      givenUp(GONE, { ...failed(3, notFound.summary), notFoundCount: 3 }, 'JobNotFound'),
    ],
    [
      'not found, when the backoff is longer than a minute: the backoff',
      { attempts: 10 },
      notFound,
      {},
      polledAgain(300_000, { ...failed(11, notFound.summary), notFoundCount: 1 }, 'JobNotFound'),
    ],
    [
      'not found, with MAX_POLL_ATTEMPTS spent: given up for the budget',
      { attempts: 199 },
      notFound,
      {},
      givenUp(
        'no terminal state after 200 polls (MAX_POLL_ATTEMPTS)',
        { ...failed(200, notFound.summary), notFoundCount: 1 },
        'JobNotFound',
      ),
    ],
  ])('%s', (_, fields, error, overrides, expected) => {
    expect(decidePoll(job(fields), { error }, { ...policy, ...overrides }, AT, half)).toEqual(expected);
  });

  it.each<[string, Partial<TrackedJob>, PollOutcome]>([
    ['a terminal answer', {}, answer('FINISHED')],
    ['a job given up', { attempts: 199 }, answer('INFERRING')],
    ['a failure given up', { attempts: 199 }, { error: unavailable }],
  ])('draws no random number for %s', (_, fields, polled) => {
    const random = () => expect.fail('no draw expected');
    expect(() => decidePoll(job(fields), polled, { ...policy, jitter: 'full' }, AT, random)).not.toThrow();
  });

  it('draws no random number without jitter', () => {
    const random = () => expect.fail('no draw expected');
    expect(decidePoll(job(), answer('INFERRING'), policy, AT, random).outcome).toBe('rescheduled');
  });
});

describe('decideNotification', () => {
  const ended = (fields: Partial<TrackedJob> = {}) =>
    job({ state: 'succeeded', status: 'FINISHED', notification: 'pending', ...fields });
  const targetDown = new AppError('WebhookFailed', 'the webhook answered 500', { statusCode: 502 });
  const TARGET_DOWN = 'WebhookFailed: failed (the log has the details)'; // not exposed: the log has it
  const busy = (retryAfterMs: number) => Object.assign(new Error('busy'), { retryAfterMs });
  const final = Object.assign(new Error('no webhook secret'), { code: 'WebhookSecretMissing', final: true });
  const retried = (notifyAttempts: number, retryMs: number, lastError = TARGET_DOWN): NotifyDecision => ({
    outcome: 'retry',
    retryMs,
    changes: { notification: 'pending', notifyAttempts, lastError, nextPollAt: AT + retryMs },
  });
  const failedForGood = (notifyAttempts: number, lastError = TARGET_DOWN): NotifyDecision => ({
    outcome: 'gaveUp',
    changes: { notification: 'failed', notifyAttempts, lastError, nextPollAt: null },
  });

  it.each<[string, Partial<TrackedJob>, NotifyOutcome, Partial<SweepPolicy>, NotifyDecision]>([
    [
      'nobody to tell: none, nothing left to do',
      { notification: 'none' },
      { outcome: 'noTarget' },
      {},
      { outcome: 'none', changes: { notification: 'none', nextPollAt: null } },
    ],
    [
      'sent: done, the try counted',
      {},
      { outcome: 'sent' },
      {},
      { outcome: 'sent', changes: { notification: 'sent', notifyAttempts: 1, nextPollAt: null } },
    ],
    [
      'sent after two tries that failed',
      { notifyAttempts: 2 },
      { outcome: 'sent' },
      {},
      { outcome: 'sent', changes: { notification: 'sent', notifyAttempts: 3, nextPollAt: null } },
    ],
    [
      'deferred for want of time: due at once, the try not counted',
      { notifyAttempts: 4 },
      { outcome: 'deferred' },
      {},
      { outcome: 'deferred', changes: { notification: 'pending', nextPollAt: AT } },
    ],
    [
      'failed, first try: retried after NOTIFY_RETRY_SECONDS',
      {},
      { outcome: 'failed', error: targetDown },
      {},
      retried(1, 30_000),
    ],
    [
      'failed, second try: the wait doubles',
      { notifyAttempts: 1 },
      { outcome: 'failed', error: targetDown },
      {},
      retried(2, 60_000),
    ],
    [
      'failed, eighth try: an hour at most',
      { notifyAttempts: 7 },
      { outcome: 'failed', error: targetDown },
      {},
      retried(8, 3_600_000),
    ],
    [
      'failed, the target asks for longer: waited',
      {},
      { outcome: 'failed', error: busy(600_000) },
      {},
      retried(1, 600_000, BUG_TEXT),
    ],
    [
      'failed, the target asks for more than an hour: an hour',
      {},
      { outcome: 'failed', error: busy(1e9) },
      {},
      retried(1, 3_600_000, BUG_TEXT),
    ],
    [
      'failed, the last of NOTIFY_MAX_ATTEMPTS tries: failed for good',
      { notifyAttempts: 19 },
      { outcome: 'failed', error: targetDown },
      {},
      failedForGood(20),
    ],
    [
      'failed, NOTIFY_MAX_ATTEMPTS lowered below the tries made: failed for good',
      { notifyAttempts: 5 },
      { outcome: 'failed', error: targetDown },
      { notifyMaxAttempts: 3 },
      failedForGood(6),
    ],
    [
      'failed for a reason no later try can mend: failed at once',
      {},
      { outcome: 'failed', error: final },
      {},
      failedForGood(1, BUG_TEXT),
    ],
  ])('%s', (_, fields, tried, overrides, expected) => {
    expect(decideNotification(ended(fields), tried, { ...policy, ...overrides }, AT)).toEqual(expected);
  });
});
