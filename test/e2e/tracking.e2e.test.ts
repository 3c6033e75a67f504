import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSpec } from '#local/emulator/jobSpec.ts';
import type { LocalStack } from '#local/stack.ts';
import { startTestStack } from '#test/helpers/testStack.ts';

let stack: LocalStack;
const notifications: { jobId: string; state: string; status: string; idempotencyKey: string }[] = [];
const sweeps: Record<string, number>[] = [];

beforeAll(async () => {
  stack = await startTestStack('e2e-tracking', {
    env: {
      POLL_INTERVAL_SECONDS: '1',
      MAX_POLL_INTERVAL_SECONDS: '1',
      POLL_JITTER: 'none',
      MAX_POLL_ATTEMPTS: '6',
      SWEEP_CONCURRENCY: '32',
      AICONTENT_MAX_ATTEMPTS: '1',
    },
    log: (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line);
      if (entry.msg === 'job done') notifications.push(entry.notification);
      if (entry.msg === 'sweep done') sweeps.push(entry);
    },
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

type Fate = 'finish' | 'fail' | 'never' | 'throttled' | 'flaky';
const FATES: Record<Fate, { spec: JobSpec; state: string; status: string }> = {
  finish: {
    spec: { schedule: { waitScheduleMs: 500, inferringMs: 1_000 } },
    state: 'succeeded',
    status: 'FINISHED',
  },
  fail: {
    spec: { schedule: { waitScheduleMs: 0, inferringMs: 1_500, outcome: 'OOM' } },
    state: 'failed',
    status: 'OOM',
  },
  never: { spec: { schedule: { outcome: 'NEVER' } }, state: 'gave_up', status: 'INFERRING' },
  throttled: {
    spec: { schedule: { waitScheduleMs: 0, inferringMs: 0 }, faults: { throttle: 2 } },
    state: 'succeeded',
    status: 'FINISHED',
  },
  flaky: {
    spec: {
      schedule: { waitScheduleMs: 0, inferringMs: 0, outcome: 'WRONG_IMAGE_URL' },
      faults: { error5xx: 2 },
    },
    state: 'failed',
    status: 'WRONG_IMAGE_URL',
  },
};

describe('tracking 200 jobs end to end', () => {
  it('brings every job to the right terminal state and notifies each exactly once', async () => {
    const fates = new Map<string, Fate>();
    const kinds = Object.keys(FATES) as Fate[];
    for (let i = 0; i < 200; i++) {
      const fate = kinds[i % kinds.length] as Fate;
      fates.set(stack.emulator.createJob(FATES[fate].spec), fate);
    }
    for (const id of fates.keys()) {
      const response = await fetch(`${stack.runtime.url}/jobs`, {
        method: 'POST',
        body: JSON.stringify({ inferenceJobId: id }),
      });
      expect(response.status).toBe(202);
    }

    // Overlapping ticks: two sweeps start together every 700 ms, until everything is told.
    const deadline = Date.now() + 60_000;
    while (notifications.length < fates.size && Date.now() < deadline) {
      await Promise.all([
        stack.runtime.fireTimer('aicontent-jobs-sweeper', 'sweep'),
        stack.runtime.fireTimer('aicontent-jobs-sweeper', 'sweep'),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    // Notifications are asynchronous invocations: give the last ones a moment to land.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const told = new Map<string, number>();
    for (const note of notifications) told.set(note.jobId, (told.get(note.jobId) ?? 0) + 1);
    expect([...told.keys()].sort()).toEqual([...fates.keys()].sort());
    expect([...told.values()].every((count) => count === 1)).toBe(true);
    for (const note of notifications) {
      const expected = FATES[fates.get(note.jobId) as Fate];
      expect({ id: note.jobId, state: note.state, status: note.status }).toEqual({
        id: note.jobId,
        state: expected.state,
        status: expected.status,
      });
      expect(note.idempotencyKey).toBe(`${note.jobId}:${note.state}`);
    }

    // The store agrees, nothing is left pending, and the ticks really overlapped and hit faults.
    const list = (state: string) =>
      fetch(`${stack.runtime.url}/jobs?state=${state}&limit=500`).then(
        (r) => r.json() as Promise<{ jobs: { reason: string }[] }>,
      );
    const pending = await list('pending');
    expect(pending.jobs).toEqual([]);
    const gaveUp = await list('gave_up');
    expect(gaveUp.jobs).toHaveLength(40);
    expect(gaveUp.jobs[0]?.reason).toContain('MAX_POLL_ATTEMPTS');
    expect(sweeps.reduce((sum, sweep) => sum + (sweep.errors ?? 0), 0)).toBeGreaterThan(0);
    expect(sweeps.reduce((sum, sweep) => sum + (sweep.lostLeases ?? 0), 0)).toBe(0);
  }, 90_000);
});
