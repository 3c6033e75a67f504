/** The CLI as a process: serves the console for a target until SIGTERM; --help exits 0; bad input exits 1. */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_HEADER } from '#local/console/page/consoleHeader.ts';
import { type FakeOperatorApi, startFakeOperatorApi } from '#test/helpers/fakeOperatorApi.ts';
import { tsxProcesses } from '#test/helpers/tsxProcess.ts';

const runTsx = tsxProcesses();
const run = (args: string[], credentials: NodeJS.ProcessEnv = {}) => {
  const env = { ...process.env, ...credentials };
  delete env.CONSOLE_PORT;
  if (!credentials.ALIBABA_CLOUD_ACCESS_KEY_ID) {
    delete env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    delete env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
    delete env.ALIBABA_CLOUD_SECURITY_TOKEN;
  }
  return runTsx(['local/console/main.ts', ...args], env);
};

/** Waits until the console is up; its page's URL. */
async function started(cli: ReturnType<typeof run>): Promise<string> {
  while (!cli.stdout().includes('Stop with Ctrl-C.')) {
    await Promise.race([once(cli.child.stdout, 'data'), cli.exit]);
    expect(cli.child.exitCode).toBeNull();
  }
  return /console: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(cli.stdout())?.[1] ?? '';
}

let api: FakeOperatorApi;
beforeAll(async () => {
  api = await startFakeOperatorApi();
});
afterAll(() => api.close());

describe('npm run console', () => {
  it('serves the console for the URL, forwards its calls, and stops on SIGTERM', async () => {
    const cli = run([api.url, '--port', '0']);
    const url = await started(cli);
    expect(cli.stdout()).toContain(`(API: ${api.url}/)`);
    expect(cli.stdout()).toContain('calls unsigned (no ALIBABA_CLOUD_ACCESS_KEY_ID)');
    expect((await fetch(url)).status).toBe(200);
    const stats = await fetch(`${url}api/stats`, { headers: { [CONSOLE_HEADER]: '1' } });
    expect(await stats.json()).toEqual(api.stats());
    while (!cli.stdout().includes('GET /stats → 200')) await once(cli.child.stdout, 'data');

    cli.child.kill('SIGTERM');
    expect(await cli.exit).toBe(0);
    expect(cli.stdout()).toContain('console: stopped');
  });

  it('signs its calls with the ALIBABA_CLOUD_* credentials, as npm run call does', async () => {
    const cli = run([api.url, '--port', '0'], {
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI5tEMULATORFAKEKEY0',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'EmulatorFakeSecretNotARealKey000',
      ALIBABA_CLOUD_SECURITY_TOKEN: 'CAIS.fake-console-token',
    });
    const url = await started(cli);
    expect(cli.stdout()).toContain('calls signed with LTAI5tEMULATORFAKEKEY0');
    const before = api.requests.length;
    expect((await fetch(`${url}api/stats`, { headers: { [CONSOLE_HEADER]: '1' } })).status).toBe(200);
    const [call] = api.requests.slice(before);
    expect(call?.headers.authorization).toMatch(
      /^ACS3-HMAC-SHA256 Credential=LTAI5tEMULATORFAKEKEY0,SignedHeaders=x-acs-date;x-acs-security-token,/,
    );
    expect(call?.headers['x-acs-security-token']).toBe('CAIS.fake-console-token');
    cli.child.kill('SIGTERM');
    expect(await cli.exit).toBe(0);
  });

  it('refuses to start for a deployed trigger without credentials, saying which to set', async () => {
    const cli = run(['https://q-abc.cn-shanghai.fcapp.run', '--port', '0']);
    expect(await cli.exit).toBe(1);
    expect(cli.stderr()).toContain(
      'console: q-abc.cn-shanghai.fcapp.run takes signed requests: set ALIBABA_CLOUD_ACCESS_KEY_ID',
    );
  });

  it('--help prints the usage and exits 0', async () => {
    const cli = run(['--help']);
    expect(await cli.exit).toBe(0);
    expect(cli.stdout()).toContain('Usage: npm run console -- URL [--port N]');
  });

  it('refuses a plain-http URL to another machine with a message, the usage and exit code 1', async () => {
    const cli = run(['http://fc.example.com']);
    expect(await cli.exit).toBe(1);
    expect(cli.stderr()).toContain('console: use https:// for a trigger on another machine (fc.example.com)');
    expect(cli.stderr()).toContain('Usage: npm run console');
    expect(cli.stderr()).not.toMatch(/^\s+at /m);
  });

  it('reports a busy port with exit code 1', async () => {
    const port = Number(new URL(api.url).port);
    const cli = run([api.url, '--port', String(port)]);
    expect(await cli.exit).toBe(1);
    expect(cli.stderr()).toContain(`console: cannot listen on 127.0.0.1:${port}`);
    expect(cli.stderr()).not.toMatch(/^\s+at /m);
  });
});
