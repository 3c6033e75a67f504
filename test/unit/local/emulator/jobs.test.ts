import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE, JobSpecError } from '#local/emulator/jobSpec.ts';
import { createTime, JobTable, jobData } from '#local/emulator/jobs.ts';

const t0 = Date.parse('2024-07-12T06:44:19.362Z');

describe('jobData', () => {
  const table = new JobTable(DEFAULT_SCHEDULE);
  const job = table.create({ imageNumber: 2 }, t0);

  it.each([
    [0, 'WAIT_SCHEDULE', 0, null],
    [1999, 'WAIT_SCHEDULE', 0, null],
    [2000, 'INFERRING', 0, null],
    [6000, 'INFERRING', 0.5, null],
    [9999, 'INFERRING', 0.99, null],
    [10_000, 'FINISHED', 1, ['0000.png', '0001.png']],
    [86_400_000, 'FINISHED', 1, ['0000.png', '0001.png']],
  ])('at +%i ms is %s with progress %d', (elapsed, jobStatus, progress, images) => {
    expect(jobData(job, t0 + elapsed)).toMatchObject({
      jobStatus,
      jobTrainProgress: progress,
      resultImageUrl: images,
    });
  });

  it('ends in the failure status asked for, with no images', () => {
    const failed = table.create({ schedule: { outcome: 'WRONG_IMAGE_URL', waitScheduleMs: 0 } }, t0);
    expect(jobData(failed, t0 + 8000)).toMatchObject({ jobStatus: 'WRONG_IMAGE_URL', resultImageUrl: null });
  });

  it('stays INFERRING forever with outcome NEVER', () => {
    const never = table.create({ schedule: { outcome: 'NEVER' } }, t0);
    expect(jobData(never, t0 + 365 * 86_400_000)).toMatchObject({
      jobStatus: 'INFERRING',
      jobTrainProgress: 0.99,
    });
  });

  it('never reports progress 1 or more before FINISHED', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), (elapsed) => {
        const data = jobData(job, t0 + elapsed);
        return data.jobStatus === 'FINISHED' ? data.jobTrainProgress === 1 : data.jobTrainProgress < 1;
      }),
    );
  });
});

describe('JobTable', () => {
  it('numbers jobs 1, 2, ... around the ids chosen', () => {
    const table = new JobTable(DEFAULT_SCHEDULE);
    const ids = [table.create({}, t0).id, table.create({ id: '2' }, t0).id, table.create({}, t0).id];
    expect(ids).toEqual(['1', '2', '3']);
  });

  it('numbers jobs from the first id it is given', () => {
    const table = new JobTable(DEFAULT_SCHEDULE, 1_795_000_000_000);
    table.create({ id: '1795000000001' }, t0);
    const ids = [table.create({}, t0).id, table.create({}, t0).id];
    expect(ids).toEqual(['1795000000000', '1795000000002']);
  });

  it('refuses an id already taken', () => {
    const table = new JobTable(DEFAULT_SCHEDULE);
    table.create({ id: 'x' }, t0);
    expect(() => table.create({ id: 'x' }, t0)).toThrow(JobSpecError);
  });
});

it('writes createTime in Shanghai time, no zone, microseconds', () => {
  expect(createTime(t0)).toBe('2024-07-12T14:44:19.362000');
});
