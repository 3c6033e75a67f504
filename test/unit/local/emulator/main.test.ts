/** The CLI as a process: starts, prints how to use it, stops on SIGTERM; bad input exits 1 without a stack. */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '#local/emulator/emulator.ts';
import { tsxProcesses } from '#test/helpers/tsxProcess.ts';

const runTsx = tsxProcesses();

function run(args: string[]) {
  const env = { ...process.env };
  for (const name of ['PORT', 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'])
    delete env[name];
  return runTsx(['local/emulator/main.ts', ...args], env);
}

describe('npm run emulator', () => {
  it('serves a demo job, prints ready-to-paste commands, and stops on SIGTERM', async () => {
    const cli = run(['--port', '0', '--quiet']);
    while (!cli.stdout().includes('Stop with Ctrl-C.')) {
      await Promise.race([once(cli.child.stdout, 'data'), cli.exit]);
      expect(cli.child.exitCode).toBeNull();
    }
    const url = /listening on (http:\/\/\S+)/.exec(cli.stdout())?.[1] ?? '';
    const demo = /demo job: (\S+)/.exec(cli.stdout())?.[1] ?? '';
    expect(cli.stdout()).toContain('LTAI5tEMULATORFAKEKEY0');
    expect(cli.stdout()).toContain(`AICONTENT_ENDPOINT=${url} ALIBABA_CLOUD_ACCESS_KEY_ID=`);
    expect((await fetch(`${url}/_emulator/jobs/${demo}`)).status).toBe(200);

    cli.child.kill('SIGTERM');
    expect(await cli.exit).toBe(0);
    expect(cli.stdout()).toContain('emulator: stopped');
  });

  it('refuses a bad flag with a message, the usage and exit code 1', async () => {
    const cli = run(['--bogus']);
    expect(await cli.exit).toBe(1);
    expect(cli.stderr()).toContain("Unknown option '--bogus'");
    expect(cli.stderr()).toContain('Usage: npm run emulator');
    expect(cli.stderr()).not.toMatch(/^\s+at /m);
  });

  it('reports a busy port with exit code 1', async () => {
    const busy: Emulator = await startEmulator();
    try {
      const cli = run(['--port', String(busy.port)]);
      expect(await cli.exit).toBe(1);
      expect(cli.stderr()).toContain(`cannot listen on 127.0.0.1:${busy.port}`);
      expect(cli.stderr()).not.toMatch(/^\s+at /m);
    } finally {
      await busy.close();
    }
  });
});
