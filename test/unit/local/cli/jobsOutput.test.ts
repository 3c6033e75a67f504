/** What `npm run jobs` prints for answers the stack seldom gives: nothing to list, no sweep yet, a job on its way. */
import { describe, expect, it } from 'vitest';
import { formatJobPage, formatJobReply, formatStats } from '#local/cli/jobsOutput.ts';
import type { Job } from '#shared/aicontent/job.ts';
import { statsView } from '#shared/jobs/stats.ts';

const NOW = Date.parse('2026-12-02T03:00:00.000Z');

describe('npm run jobs output', () => {
  it('says when a state has no jobs', () => {
    expect(formatJobPage({ jobs: [], cursor: null }, 'gave_up', NOW)).toEqual(['No gave up jobs.']);
  });

  it('prints the stats of a store that has not swept yet', () => {
    const stats = statsView(
      {
        jobs: { pending: 1, succeeded: 0, failed: 0, gave_up: 0 },
        notifications: { none: 1, pending: 0, sent: 0, failed: 0 },
        dueNow: 1,
        oldestPendingSince: NOW - 86_000,
        finishTimesMs: [],
        sweeps: [],
      },
      NOW,
    );
    expect(formatStats(stats)).toEqual([
      'Jobs: pending 1, succeeded 0, failed 0, gave up 0',
      '  due now 1; oldest pending 1 min 26 s',
      'Notifications: none 1, pending 0, sent 0, failed 0',
      'Time to finish (0 recent jobs): median —, 95th percentile —, longest —',
      '  ≤ 10 s     0',
      '  ≤ 30 s     0',
      '  ≤ 1 min    0',
      '  ≤ 2 min    0',
      '  ≤ 5 min    0',
      '  ≤ 10 min   0',
      '  ≤ 30 min   0',
      '  ≤ 1 h      0',
      '  > 1 h      0',
      'Sweeps: none recorded yet',
    ]);
  });

  const upstream = (job: Partial<Job>): Job => ({
    ...{ id: '20', status: 'FINISHED', state: 'succeeded', terminal: true, images: ['0000.png'] },
    ...{ modelId: null, promptId: null, progress: null, createTime: null },
    ...job,
  });

  it('shows a job that is not tracked, and its images', () => {
    const reply = { job: upstream({}), terminal: true, retryAfterSeconds: 0 };
    expect(formatJobReply(reply, NOW)).toEqual([
      'Job 20: FINISHED (succeeded)',
      '  images: 0000.png',
      'Not tracked: the sweeper does not poll it.',
    ]);
  });

  it("shows a running job's progress only when aicontent reports one", () => {
    const running: Partial<Job> = {
      status: 'INFERRING',
      state: 'pending',
      terminal: false,
      images: [],
    };
    const reply = (progress: number | null) => ({
      job: upstream({ ...running, progress }),
      terminal: false,
      retryAfterSeconds: 5,
    });
    expect(formatJobReply(reply(0.42), NOW)[0]).toBe(
      'Job 20: INFERRING (pending, progress 42 %), ask again in 5 s',
    );
    expect(formatJobReply(reply(null), NOW)[0]).toBe('Job 20: INFERRING (pending), ask again in 5 s');
  });
});
