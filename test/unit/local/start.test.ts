/**
 * `npm start` refuses a bad setting before it builds or starts anything, naming it and its values; and
 * what it changes for the demo.
 */
import { describe, expect, it } from 'vitest';
import { demoTemplateEnv } from '#local/stack.ts';
import { tsxProcesses } from '#test/helpers/tsxProcess.ts';

const runTsx = tsxProcesses();

describe('npm start', () => {
  it('exits 1 on a value out of range, naming the variable and its range', async () => {
    const start = runTsx(['local/start.ts'], {
      PATH: process.env.PATH ?? '',
      MAX_JOB_AGE_SECONDS: '5',
      POLL_JITTER: 'sometimes',
      PORT: '0',
      EMULATOR_PORT: '0',
    });
    expect(await start.exit).toBe(1);
    expect(start.stderr()).toBe(
      'npm start: POLL_JITTER must be one of full, none, got "sometimes"\n' +
        'npm start: MAX_JOB_AGE_SECONDS must be a whole number from 60 to 2592000, got "5"\n',
    );
    expect(start.stdout()).not.toContain('building');
  });
});

describe("the demo's s.yaml variables", () => {
  it('a 10 s sweep and on-job-done as the default target, unless set', () => {
    expect(demoTemplateEnv({ PATH: '/bin' })).toEqual({
      PATH: '/bin',
      SWEEP_SCHEDULE: '@every 10s',
      NOTIFY_FUNCTION: 'aicontent-jobs-on-job-done',
    });
    expect(demoTemplateEnv({ SWEEP_SCHEDULE: '@every 1m' }, '@every 2s').SWEEP_SCHEDULE).toBe('@every 2s');
    expect(demoTemplateEnv({ SWEEP_SCHEDULE: '@every 1m' }).SWEEP_SCHEDULE).toBe('@every 1m');
    expect(demoTemplateEnv({ NOTIFY_URL: 'http://127.0.0.1:8080/hook' })).not.toHaveProperty(
      'NOTIFY_FUNCTION',
    );
    expect(demoTemplateEnv({ NOTIFY_FUNCTION: 'mine' }).NOTIFY_FUNCTION).toBe('mine');
  });
});
