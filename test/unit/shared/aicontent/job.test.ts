import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_JOB_ID_LENGTH, parseJob, stateOf, validateJobId } from '#shared/aicontent/job.ts';
import { InvalidInputError } from '#shared/errors.ts';

describe('stateOf', () => {
  it.each([
    ['FINISHED', 'succeeded'],
    ['INFERRING_TERMINATED', 'failed'],
    ['TRAINING_TERMINATED', 'failed'],
    ['OOM', 'failed'],
    ['WRONG_IMAGE_URL', 'failed'],
    ['TOO_MANY_INFERENCE_REQUESTS', 'failed'],
    ['NOT_START', 'pending'],
    ['SUBMITTED', 'pending'],
    ['WAIT_SCHEDULE', 'pending'],
    ['INFERRING', 'pending'],
    ['TRAINING', 'pending'],
    ['SOMETHING_NEW', 'unknown'],
    ['', 'unknown'],
  ])('%s → %s', (status, state) => {
    expect(stateOf(status)).toBe(state);
  });
});

describe('parseJob', () => {
  it('reads the documented example', () => {
    const job = parseJob(
      {
        id: '3220',
        promptId: 'promptId-x',
        modelId: 'modelId-x',
        jobStatus: 'FINISHED',
        jobTrainProgress: 0.5,
        resultImageUrl: ['0000.png'],
        createTime: '2023-12-25T12:00:00',
      },
      '3220',
    );
    expect(job).toEqual({
      id: '3220',
      status: 'FINISHED',
      state: 'succeeded',
      terminal: true,
      modelId: 'modelId-x',
      promptId: 'promptId-x',
      progress: 0.5,
      images: ['0000.png'],
      createTime: '2023-12-25T12:00:00',
    });
  });

  it('reads the real example: numeric id, missing and null fields', () => {
    const job = parseJob(
      { jobStatus: 'WAIT_SCHEDULE', id: 20, resultImageUrl: null, createUserId: 'u' },
      '20',
    );
    expect(job).toMatchObject({
      id: '20',
      state: 'pending',
      terminal: false,
      images: [],
      progress: null,
      modelId: null,
    });
  });

  it('keeps an unknown status as is and falls back to the requested id', () => {
    expect(parseJob({ jobStatus: 'PAUSED' }, 'abc')).toMatchObject({
      id: 'abc',
      status: 'PAUSED',
      state: 'unknown',
    });
  });

  it('never throws, whatever the data', () => {
    fc.assert(
      fc.property(fc.anything(), (data) => {
        const job = parseJob(data, 'x');
        expect(typeof job.id).toBe('string');
        expect(Array.isArray(job.images)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('validateJobId', () => {
  it('accepts real-looking ids and any printable Unicode', () => {
    expect(validateJobId('girl-xxxx-xxxx')).toBe('girl-xxxx-xxxx');
    expect(validateJobId('中文✓ 😀')).toBe('中文✓ 😀');
    expect(validateJobId('x'.repeat(MAX_JOB_ID_LENGTH))).toHaveLength(MAX_JOB_ID_LENGTH);
  });

  it.each([
    [undefined, /must be a string/],
    [42, /must be a string/],
    ['   ', /must not be empty/],
    ['x'.repeat(MAX_JOB_ID_LENGTH + 1), /at most 256/],
    ['a\u007fb', /control characters/],
    ['a\u0085b', /control characters/],
    ['a\udc00b', /not valid Unicode/],
  ])('rejects %j with a clear message', (value, message) => {
    expect(() => validateJobId(value)).toThrow(InvalidInputError);
    expect(() => validateJobId(value)).toThrow(message);
  });
});
