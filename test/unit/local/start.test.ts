/** `npm start` refuses a bad setting before it builds or starts anything, naming it and its values. */
import { describe, expect, it } from 'vitest';
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
