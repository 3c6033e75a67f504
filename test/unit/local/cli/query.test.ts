import { describe, expect, it } from 'vitest';
import { freePort } from '#local/cli/cliSupport.ts';
import { runQueryCli } from '#local/cli/query.ts';
import {
  gatewayError,
  jobResponse,
  type ScriptedServer,
  type Step,
  scriptedServers,
} from '#test/helpers/scriptedServer.ts';

const startServer = scriptedServers();
let server: ScriptedServer | undefined;

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runQueryCli(
    args,
    env,
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    {
      retry: { maxAttempts: 1 },
    },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const creds = {
  ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI5tTESTFAKEKEY',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'fake-secret',
};

describe('npm run query', () => {
  it('prints the normalized job as JSON', async () => {
    server = await startServer([
      jobResponse({ id: '7', jobStatus: 'FINISHED', resultImageUrl: ['0000.png'] }),
    ]);
    const result = await run(['7'], { ...creds, AICONTENT_ENDPOINT: server.url });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({
      job: { id: '7', state: 'succeeded', images: ['0000.png'] },
    });
  });

  it.each([[[]], [['a', 'b']]])('prints usage for %j', async (args) => {
    expect(await run(args)).toMatchObject({ code: 1, err: expect.stringMatching(/^usage:/) });
  });

  it.each([[['--help']], [['-h']], [['7', '--help']]])(
    'prints usage on stdout and exits 0 for %j',
    async (args) => {
      expect(await run(args)).toMatchObject({ code: 0, out: expect.stringMatching(/^usage:/), err: '' });
    },
  );

  it('names the host and the cause when nothing answers there', async () => {
    const port = await freePort();
    const result = await run(['7'], { ...creds, AICONTENT_ENDPOINT: `http://127.0.0.1:${port}` });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(new RegExp(`^error: cannot reach 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });

  it('names the host when it does not answer in time', async () => {
    server = await startServer([{ ...(jobResponse({ id: '7' }) as Exclude<Step, 'drop'>), delayMs: 2_000 }]);
    const out: string[] = [];
    const err: string[] = [];
    const code = await runQueryCli(
      ['7'],
      { ...creds, AICONTENT_ENDPOINT: server.url },
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      { retry: { maxAttempts: 1 }, attemptTimeoutMs: 100 },
    );
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(
      new RegExp(
        `^error: timed out waiting for ${server.url.replace('http://', '').replaceAll('.', '\\.')}: `,
      ),
    );
  });

  it('says which credentials are missing', async () => {
    const result = await run(['7'], { AICONTENT_ENDPOINT: 'http://127.0.0.1:1' });
    expect(result).toMatchObject({ code: 1, err: expect.stringMatching(/ALIBABA_CLOUD_ACCESS_KEY_ID/) });
  });

  it('explains a bad job id without a stack trace', async () => {
    const result = await run(['x'.repeat(10_000)], creds);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^error: inferenceJobId is 10000 characters long/);
    expect(result.err).not.toMatch(/\n\s+at /);
  });

  it('shows the upstream code and request id of an upstream error', async () => {
    server = await startServer([gatewayError(400, 'SignatureDoesNotMatch')]);
    const result = await run(['7'], { ...creds, AICONTENT_ENDPOINT: server.url });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/SignatureDoesNotMatch.*requestId REQ-SignatureDoesNotMatch/);
  });

  it('reports a bad endpoint as a configuration error', async () => {
    const result = await run(['7'], { ...creds, AICONTENT_ENDPOINT: 'ftp://nope' });
    expect(result).toMatchObject({ code: 1, err: expect.stringMatching(/AICONTENT_ENDPOINT must be http/) });
  });
});
