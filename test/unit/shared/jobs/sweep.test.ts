import { describe, expect, it } from 'vitest';
import { AicontentError } from '#shared/aicontent/errors.ts';
import { type Job, parseJob } from '#shared/aicontent/job.ts';
import { readSweepPolicy, type SweepPolicy } from '#shared/config.ts';
import { NOT_FOUND_RECHECK_MS } from '#shared/jobs/decisions.ts';
import type { JobStore, NotifyTarget, TrackedJob } from '#shared/jobs/jobStore.ts';
import { type Notifier, notificationLanes, type SweepDeps, sweep } from '#shared/jobs/sweep.ts';
import { createLogger } from '#shared/log.ts';
import { createMemoryStore } from '#shared/stores/memoryStore.ts';

const T0 = Date.UTC(2026, 10, 25);
const policy: SweepPolicy = { ...readSweepPolicy({}), jitter: 'none' };

type Behaviour = string | Error | ((call: number) => string | Error);

/** A clock the test moves, an aicontent fake answering per job id, and a recording notifier. */
function harness(
  behaviours: Record<string, Behaviour>,
  options: { store?: JobStore; failNotify?: number; notifyError?: () => Error } = {},
) {
  let clock = T0;
  const calls = new Map<string, number>();
  const notifications: TrackedJob[] = [];
  const lines: Record<string, unknown>[] = [];
  let notifyFailures = options.failNotify ?? 0;
  const store = options.store ?? createMemoryStore();
  const notifier: Notifier = {
    targetFor: (job) => job.notify ?? ({ type: 'function', name: 'on-job-done' } satisfies NotifyTarget),
    notify: async (job) => {
      if (notifyFailures-- > 0) throw options.notifyError?.() ?? new Error('target down');
      notifications.push(job);
    },
  };
  const deps: SweepDeps = {
    store,
    notifier,
    owner: 'sweeper-1',
    now: () => clock,
    random: () => 0.5,
    log: createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) }),
    query: async (id) => {
      const call = (calls.get(id) ?? 0) + 1;
      calls.set(id, call);
      const behaviour = behaviours[id] ?? 'INFERRING';
      const outcome = typeof behaviour === 'function' ? behaviour(call) : behaviour;
      if (outcome instanceof Error) throw outcome;
      return {
        job: parseJob(
          { id, jobStatus: outcome, resultImageUrl: outcome === 'FINISHED' ? ['0000.png'] : null },
          id,
        ) as Job,
      };
    },
  };
  return {
    store,
    deps,
    calls,
    notifications,
    lines,
    advance: (ms: number) => {
      clock += ms;
    },
    run: (overrides: Partial<SweepPolicy> = {}, deadline = clock + 60_000) =>
      sweep(deps, { ...policy, ...overrides }, { deadline }),
  };
}

async function track(store: JobStore, ids: string[], notify?: NotifyTarget) {
  for (const id of ids) await store.track({ id, notify, now: T0 });
}

describe('notificationLanes', () => {
  it('gives notifications a quarter of the concurrency, at least one lane', () => {
    expect([1, 4, 7, 16, 64].map(notificationLanes)).toEqual([1, 1, 1, 4, 16]);
  });
});

describe('sweep', () => {
  it('records finished and failed jobs, notifies each once, and stops polling them', async () => {
    const h = harness({ ok: 'FINISHED', oom: 'OOM' });
    await track(h.store, ['ok', 'oom']);
    const summary = await h.run();
    expect(summary).toMatchObject({
      claimed: 2,
      succeeded: 1,
      failed: 1,
      notified: 2,
      errors: 0,
      rescheduled: 0,
    });
    expect(await h.store.get('ok')).toMatchObject({
      state: 'succeeded',
      status: 'FINISHED',
      images: ['0000.png'],
      attempts: 1,
      finishedAt: T0,
      nextPollAt: null,
      notification: 'sent',
      leaseOwner: null,
    });
    expect(await h.store.get('oom')).toMatchObject({ state: 'failed', status: 'OOM', notification: 'sent' });
    expect(h.notifications.map((job) => [job.id, job.state])).toEqual([
      ['ok', 'succeeded'],
      ['oom', 'failed'],
    ]);
    h.advance(10 * 60_000);
    expect(await h.run()).toMatchObject({ claimed: 0 });
    expect(h.notifications).toHaveLength(2);
  });

  it('reschedules a pending job with growing, capped backoff', async () => {
    const h = harness({});
    await track(h.store, ['slow']);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      await h.run();
      const job = (await h.store.get('slow')) as TrackedJob;
      waits.push((job.nextPollAt ?? 0) - (job.lastPolledAt ?? 0));
      h.advance(waits.at(-1) ?? 0);
    }
    expect(waits).toEqual([10_000, 15_000, 22_500, 33_750, 50_625, 75_937]);
    const capped = harness({});
    await track(capped.store, ['slow']);
    await capped.run({ maxPollIntervalMs: 12_000 });
    capped.advance(60_000);
    await capped.run({ maxPollIntervalMs: 12_000 });
    const job = (await capped.store.get('slow')) as TrackedJob;
    expect((job.nextPollAt ?? 0) - (job.lastPolledAt ?? 0)).toBe(12_000);
  });

  it('uses full jitter when asked', async () => {
    const h = harness({});
    await track(h.store, ['slow']);
    await h.run({ jitter: 'full' });
    expect((await h.store.get('slow'))?.nextPollAt).toBe(T0 + 5_000);
  });

  it('never polls again before the upstream retry-after', async () => {
    const throttled = new AicontentError({ kind: 'gateway', code: 'Throttling.User', retryAfterMs: 90_000 });
    const h = harness({ busy: throttled });
    await track(h.store, ['busy']);
    const summary = await h.run();
    expect(summary).toMatchObject({ errors: 1, rescheduled: 1 });
    expect(await h.store.get('busy')).toMatchObject({
      attempts: 1,
      nextPollAt: T0 + 90_000,
      lastError: 'UpstreamThrottled: aicontent is throttling requests (Throttling.User)',
    });
  });

  it('never schedules a poll further away than MAX_POLL_INTERVAL, whatever the retry-after', async () => {
    const parked = new AicontentError({ kind: 'gateway', code: 'Throttling.User', retryAfterMs: 1e15 });
    const h = harness({ busy: parked });
    await track(h.store, ['busy']);
    await h.run({ maxPollIntervalMs: 60_000 });
    expect((await h.store.get('busy'))?.nextPollAt).toBe(T0 + 60_000);
  });

  it('counts failed polls by code, throttled ones apart, and records the sweep for GET /stats', async () => {
    const throttled = () => new AicontentError({ kind: 'gateway', code: 'Throttling.User' });
    const h = harness({
      busy1: throttled(),
      busy2: throttled(),
      down: new AicontentError({ kind: 'gateway', code: 'ServiceUnavailable', httpStatus: 503 }),
      bad: new Error('boom'),
      ok: 'FINISHED',
    });
    await track(h.store, ['busy1', 'busy2', 'down', 'bad', 'ok']);
    const summary = await h.run();
    const errorsByCode = { UpstreamThrottled: 2, UpstreamUnavailable: 1, InternalError: 1 };
    expect(summary).toMatchObject({ errors: 4, throttled: 2, errorsByCode });
    const { sweeps } = await h.store.stats(T0);
    expect(sweeps).toEqual([
      {
        startedAt: T0,
        durationMs: summary.durationMs,
        claimed: 5,
        succeeded: 1,
        failed: 0,
        gaveUp: 0,
        rescheduled: 4,
        notified: 1,
        notifyFailed: 0,
        throttled: 2,
        errors: errorsByCode,
      },
    ]);
  });

  it('still returns its summary when the store cannot record it, and says so in the log', async () => {
    const store = createMemoryStore();
    store.recordSweep = async () => {
      throw new Error('store down');
    };
    const h = harness({ ok: 'FINISHED' }, { store });
    await track(h.store, ['ok']);
    expect(await h.run()).toMatchObject({ succeeded: 1 });
    expect(h.lines.at(-1)).toMatchObject({
      level: 'error',
      msg: 'could not record the sweep for GET /stats',
    });
  });

  it('gives up after MAX_POLL_ATTEMPTS polls, with a reason, and notifies', async () => {
    const h = harness({});
    await track(h.store, ['never']);
    for (let i = 0; i < 3; i++) {
      await h.run({ maxAttempts: 3 });
      h.advance(3_600_000);
    }
    expect(await h.store.get('never')).toMatchObject({
      state: 'gave_up',
      attempts: 3,
      nextPollAt: null,
      reason: 'no terminal state after 3 polls (MAX_POLL_ATTEMPTS)',
      notification: 'sent',
    });
    expect(h.notifications.map((job) => job.state)).toEqual(['gave_up']);
  });

  it('gives up once a job is older than MAX_JOB_AGE, errors included', async () => {
    const h = harness({ broken: new AicontentError({ kind: 'network' }) });
    await track(h.store, ['broken']);
    h.advance(2 * 3_600_000);
    const summary = await h.run({ maxAgeMs: 3_600_000 });
    expect(summary).toMatchObject({ gaveUp: 1, errors: 1 });
    expect(await h.store.get('broken')).toMatchObject({
      state: 'gave_up',
      reason: expect.stringContaining('MAX_JOB_AGE'),
    });
  });

  it('keeps one bad job from failing the sweep', async () => {
    const h = harness({ bad: new Error('boom'), good: 'FINISHED' });
    await track(h.store, ['bad', 'good']);
    const summary = await h.run();
    expect(summary).toMatchObject({ claimed: 2, succeeded: 1, errors: 1, rescheduled: 1 });
    // lastError is ours (GET /jobs shows it); what the error said goes to the log.
    expect(await h.store.get('bad')).toMatchObject({
      state: 'pending',
      lastError: 'InternalError: failed (the log has the details)',
      attempts: 1,
    });
    expect(h.lines).toContainEqual(
      expect.objectContaining({
        msg: 'poll failed',
        jobId: 'bad',
        error: expect.objectContaining({ message: 'boom' }),
      }),
    );
  });

  it('keeps a failed notification pending and retries it on a later sweep, never twice once sent', async () => {
    const h = harness({ ok: 'FINISHED' }, { failNotify: 2 });
    await track(h.store, ['ok']);
    expect(await h.run()).toMatchObject({ succeeded: 1, notifyFailed: 1 });
    expect(await h.store.get('ok')).toMatchObject({
      state: 'succeeded',
      notification: 'pending',
      notifyAttempts: 1,
      nextPollAt: T0 + 30_000,
    });
    expect(await h.run()).toMatchObject({ claimed: 0 });
    h.advance(30_000);
    expect(await h.run()).toMatchObject({ claimed: 1, notifyFailed: 1 });
    h.advance(60_000);
    expect(await h.run()).toMatchObject({ claimed: 1, notified: 1 });
    expect(h.calls.get('ok')).toBe(1);
    h.advance(86_400_000);
    expect(await h.run()).toMatchObject({ claimed: 0 });
    expect(h.notifications).toHaveLength(1);
  });

  it('ends a notification failed after NOTIFY_MAX_ATTEMPTS tries: out of the due set, with its reason', async () => {
    const h = harness({ ok: 'FINISHED' }, { failNotify: 100 });
    await track(h.store, ['ok']);
    for (let i = 0; i < 3; i++) {
      await h.run({ notifyMaxAttempts: 3 });
      h.advance(3_600_000);
    }
    expect(await h.store.get('ok')).toMatchObject({
      state: 'succeeded',
      notification: 'failed',
      notifyAttempts: 3,
      nextPollAt: null,
      lastError: 'InternalError: failed (the log has the details)',
    });
    h.advance(86_400_000);
    expect(await h.run({ notifyMaxAttempts: 3 })).toMatchObject({ claimed: 0 });
  });

  it('ends at once a notification no later try can mend, and sends it once requeued', async () => {
    const final = () =>
      Object.assign(new Error('no webhook secret'), { code: 'WebhookSecretMissing', final: true });
    const h = harness({ ok: 'FINISHED' }, { failNotify: 1, notifyError: final });
    await track(h.store, ['ok']);
    expect(await h.run()).toMatchObject({ notifyFailed: 1, notifyGaveUp: 1 });
    expect(await h.store.get('ok')).toMatchObject({
      notification: 'failed',
      notifyAttempts: 1,
      nextPollAt: null,
    });
    expect(h.lines.some((line) => line.msg === 'notification failed for good' && line.jobId === 'ok')).toBe(
      true,
    );
    await h.store.requeueNotification({ id: 'ok', now: T0 + 1 });
    h.advance(1);
    expect(await h.run()).toMatchObject({ claimed: 1, notified: 1 });
    expect(await h.store.get('ok')).toMatchObject({ notification: 'sent', notifyAttempts: 1 });
    expect(h.calls.get('ok')).toBe(1); // the job was not polled again
  });

  it('waits what a refusing target asks before the next try, an hour at most', async () => {
    const busy = (retryAfterMs: number) => () => Object.assign(new Error('busy'), { retryAfterMs });
    const h = harness({ ok: 'FINISHED' }, { failNotify: 2, notifyError: busy(600_000) });
    await track(h.store, ['ok']);
    await h.run();
    expect((await h.store.get('ok'))?.nextPollAt).toBe(T0 + 600_000);
    const far = harness({ ok: 'FINISHED' }, { failNotify: 1, notifyError: busy(10 ** 9) });
    await track(far.store, ['ok']);
    await far.run();
    expect((await far.store.get('ok'))?.nextPollAt).toBe(T0 + 3_600_000);
  });

  it('gives up a job aicontent does not know after 3 answers in a row, a minute or more apart', async () => {
    const notFound = new AicontentError({
      kind: 'business',
      httpStatus: 404,
      errCode: 'B_DATA_NOT_FOUND_EXCEPTION',
    });
    const h = harness({ fake: notFound });
    await track(h.store, ['fake']);
    expect(await h.run()).toMatchObject({ errors: 1, rescheduled: 1 });
    expect(await h.store.get('fake')).toMatchObject({
      state: 'pending',
      notFoundCount: 1,
      nextPollAt: T0 + NOT_FOUND_RECHECK_MS,
    });
    for (let i = 0; i < 2; i++) {
      h.advance(NOT_FOUND_RECHECK_MS);
      await h.run();
    }
    expect(await h.store.get('fake')).toMatchObject({
      state: 'gave_up',
      attempts: 3,
      notFoundCount: 3,
      reason: expect.stringMatching(/^not found: /),
      notification: 'sent',
    });
    expect(h.calls.get('fake')).toBe(3);
    expect(h.notifications.map((job) => [job.id, job.state])).toEqual([['fake', 'gave_up']]);
  });

  it('counts only not-found answers in a row: one that knows the job starts the count again', async () => {
    const notFound = new AicontentError({ kind: 'business', errCode: 'B_DATA_NOT_FOUND_EXCEPTION' });
    const h = harness({ late: (call) => (call === 3 ? 'WAIT_SCHEDULE' : notFound) });
    await track(h.store, ['late']);
    for (let i = 0; i < 5; i++) {
      await h.run();
      h.advance(NOT_FOUND_RECHECK_MS);
    }
    expect(await h.store.get('late')).toMatchObject({ state: 'pending', attempts: 5, notFoundCount: 2 });
  });

  it('does not notify when there is no target', async () => {
    const h = harness({ ok: 'FINISHED' });
    h.deps.notifier = { targetFor: () => null, notify: async () => expect.fail('no target') };
    await track(h.store, ['ok']);
    await h.run();
    expect(await h.store.get('ok')).toMatchObject({
      state: 'succeeded',
      notification: 'none',
      nextPollAt: null,
    });
  });

  it('logs an unknown upstream status once and keeps polling', async () => {
    const h = harness({ odd: 'PAUSED' });
    await track(h.store, ['odd']);
    await h.run();
    h.advance(60_000);
    await h.run();
    expect(
      h.lines.filter((line) => line.msg === 'unknown upstream job status: treated as pending'),
    ).toHaveLength(1);
    expect(await h.store.get('odd')).toMatchObject({ state: 'pending', status: 'PAUSED', attempts: 2 });
  });

  it('claims at most batchSize jobs and keeps at most `concurrency` queries in flight', async () => {
    const h = harness({});
    let inFlight = 0;
    let peak = 0;
    const query = h.deps.query;
    h.deps.query = async (id, options) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      return query(id, options);
    };
    await track(
      h.store,
      Array.from({ length: 100 }, (_, i) => `j${i}`),
    );
    const summary = await h.run({ batchSize: 60, concurrency: 8 });
    expect(summary.claimed).toBe(60);
    expect(peak).toBe(8);
  });

  it('stops claiming near the deadline and releases what it did not start', async () => {
    const h = harness({});
    let clockAdvances = 0;
    h.deps.query = async (id) => {
      h.advance(1_000); // every poll takes a simulated second
      clockAdvances++;
      return { job: parseJob({ id, jobStatus: 'INFERRING' }, id) };
    };
    await track(
      h.store,
      Array.from({ length: 50 }, (_, i) => `j${i}`),
    );
    // One worker claims two jobs at a time; the first poll takes it past the safety margin.
    const summary = await h.run({ concurrency: 1, batchSize: 50, safetyMarginMs: 5_000 }, T0 + 5_500);
    expect(clockAdvances).toBe(1);
    expect(summary).toMatchObject({ claimed: 2, rescheduled: 1, released: 1 });
    // Nothing is left leased: the next sweep can take the rest at once.
    const leased = (await h.store.list({ state: 'pending', limit: 100 })).jobs.filter(
      (job) => job.leaseOwner,
    );
    expect(leased).toEqual([]);
  });

  it('counts a commit refused after the lease was lost', async () => {
    const h = harness({});
    await track(h.store, ['a']);
    const thief = { ...h.deps, owner: 'other' };
    h.deps.query = async (id) => {
      h.advance(policy.leaseMs);
      await thief.store.claimDue({
        owner: 'other',
        now: T0 + policy.leaseMs,
        limit: 1,
        leaseMs: policy.leaseMs,
      });
      return { job: parseJob({ id, jobStatus: 'INFERRING' }, id) };
    };
    expect(await h.run({}, T0 + 10 * policy.leaseMs)).toMatchObject({ lostLeases: 1 });
  });

  it('counts a commit the store failed as an error and still finishes the sweep', async () => {
    const h = harness({ ok: 'FINISHED', bad: 'FINISHED' });
    await track(h.store, ['ok', 'bad']);
    const commit = h.store.commit.bind(h.store);
    h.deps.store = {
      ...h.store,
      claimDue: h.store.claimDue.bind(h.store),
      commit: async (job, owner, changes) => {
        if (job.id === 'bad') throw new Error('store down');
        return commit(job, owner, changes);
      },
    };
    expect(await h.run()).toMatchObject({ claimed: 2, succeeded: 2, errors: 1 });
    expect(await h.store.get('ok')).toMatchObject({ state: 'succeeded' });
    expect(h.lines.some((line) => line.msg === 'could not save a job' && line.jobId === 'bad')).toBe(true);
  });

  it('logs a summary line', async () => {
    const h = harness({ ok: 'FINISHED' });
    await track(h.store, ['ok']);
    await h.run();
    expect(h.lines.at(-1)).toMatchObject({ msg: 'sweep done', claimed: 1, succeeded: 1, durationMs: 0 });
  });
});
