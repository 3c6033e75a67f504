/**
 * `npm run call`: against the local runtime with `authType: function` enforced, the signed request is
 * served and a wrong one refused; usage, missing credentials, unreachable hosts and unsafe URLs get
 * one clear line.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCallCli } from '#local/cli/call.ts';
import { freePort } from '#local/cli/cliSupport.ts';
import { FAKE_ACCESS_KEY_ID, FAKE_ACCESS_KEY_SECRET } from '#local/emulator/emulator.ts';
import type { Credentials } from '#shared/signing/acs3.ts';
import { type FixtureRuntime, startFixtureRuntime } from '#test/helpers/localRuntime.ts';
import { tsxProcesses } from '#test/helpers/tsxProcess.ts';

const LOCAL_KEY = {
  ALIBABA_CLOUD_ACCESS_KEY_ID: FAKE_ACCESS_KEY_ID,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: FAKE_ACCESS_KEY_SECRET,
};

let fixture: FixtureRuntime;
let url: string;
beforeAll(async () => {
  fixture = await startFixtureRuntime({ templateEnv: { FIXTURE_AUTH_TYPE: 'function' } });
  url = fixture.runtime.url;
});
afterAll(() => fixture.runtime.close());

async function run(args: string[], env: NodeJS.ProcessEnv = LOCAL_KEY, client = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCallCli(args, env, { out: (l) => out.push(l), err: (l) => err.push(l) }, client);
  return { code, out, err: err.join('\n') };
}

const echoed = (out: string[]) =>
  JSON.parse(out.slice(1).join('\n')) as { event: { rawPath: string; body: string; requestContext: object } };

describe('npm run call, against a trigger that checks signatures', () => {
  it('GETs with the local AccessKey and prints the status and the body', async () => {
    const result = await run([`${url}/jobs/42?state=pending`]);
    expect(result.code).toBe(0);
    expect(result.out[0]).toMatch(/^200 OK \(x-fc-request-id: 1-[0-9a-f-]+\)$/);
    expect(echoed(result.out).event).toMatchObject({ rawPath: '/jobs/42' });
  });

  it('POSTs JSON (the method may be given, and defaults to POST with a body)', async () => {
    for (const args of [
      [`${url}/jobs`, '{"inferenceJobId":"20"}'],
      ['post', `${url}/jobs`, '{"inferenceJobId":"20"}'],
    ]) {
      const result = await run(args);
      expect(result.code).toBe(0);
      expect(echoed(result.out).event).toMatchObject({ body: '{"inferenceJobId":"20"}' });
    }
  });

  it('signs with STS credentials too (the token from ALIBABA_CLOUD_SECURITY_TOKEN)', async () => {
    const outcome = await fixture.runtime.invoke('echo', '');
    if (!outcome.ok || outcome.result.type !== 'json') throw new Error('echo failed');
    const { credentials } = (JSON.parse(outcome.result.json) as { context: { credentials: Credentials } })
      .context;
    const result = await run([`${url}/jobs/1`], {
      ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret,
      ALIBABA_CLOUD_SECURITY_TOKEN: credentials.securityToken,
    });
    expect(result.code).toBe(0);
  });

  it('prints the refusal and exits 1 with a wrong secret', async () => {
    const result = await run([`${url}/jobs/1`], { ...LOCAL_KEY, ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong' });
    expect(result.code).toBe(1);
    expect(result.out[0]).toMatch(/^403 Forbidden/);
    expect(JSON.parse(result.out.slice(1).join('\n'))).toMatchObject({ Code: 'SignatureNotMatch' });
  });

  it('prints the refusal of an unknown AccessKey', async () => {
    const result = await run([`${url}/jobs/1`], { ...LOCAL_KEY, ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI5tOTHER' });
    expect(result).toMatchObject({
      code: 1,
      out: [expect.stringMatching(/^403 /), expect.stringContaining('InvalidAccessKeyID')],
    });
  });
});

describe('npm run call, when it cannot', () => {
  it('--help prints the usage and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.out.join('\n')).toMatch(/^Usage: npm run call -- \[METHOD\] URL \[JSON\]/);
  });

  it.each([
    [[], 'the trigger URL is missing'],
    [['not a url'], 'not a URL: not a url'],
    [['http://127.0.0.1/x', '{bad'], 'the body must be JSON, not {bad'],
    [['GET', 'http://127.0.0.1/x', '{}', 'extra'], 'unexpected arguments: extra'],
  ])('refuses %j with a usage error', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`npm run call: ${message}`);
    expect(result.err).toContain('Usage:');
  });

  it('says which credentials are missing', async () => {
    const result = await run([`${url}/jobs/1`], {});
    expect(result).toMatchObject({ code: 1, err: expect.stringMatching(/ALIBABA_CLOUD_ACCESS_KEY_ID/) });
  });

  it('names the host and the cause when nothing listens there', async () => {
    const port = await freePort();
    const result = await run([`http://127.0.0.1:${port}/jobs/1`]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      new RegExp(`^npm run call: cannot reach 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
  });

  it('says when the host does not answer in time', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const result = await run([`http://127.0.0.1:${port}/jobs/1`], LOCAL_KEY, { timeoutMs: 200 });
      expect(result).toMatchObject({
        code: 1,
        err: `npm run call: no answer from 127.0.0.1:${port} within 0.2 s`,
      });
    } finally {
      silent.close();
    }
  });

  it('never sends credentials over http to another machine (nothing is sent)', async () => {
    let sent = false;
    const fetch = (async () => {
      sent = true;
      return new Response('');
    }) as typeof globalThis.fetch;
    const result = await run(['http://203.0.113.7/jobs/1'], LOCAL_KEY, { fetch });
    expect(result).toMatchObject({
      code: 1,
      err: expect.stringMatching(/refusing to send a signed request over http to 203\.0\.113\.7/),
    });
    expect(sent).toBe(false);
  });

  it('calls an https trigger (the deployed one), signed', async () => {
    const requests: { url: string; headers: Headers }[] = [];
    const fetch = (async (input: URL, init: RequestInit) => {
      requests.push({ url: String(input), headers: new Headers(init.headers) });
      return new Response('{"job":{}}', { status: 200, headers: { 'x-fc-request-id': '1-abc' } });
    }) as typeof globalThis.fetch;
    const result = await run(['https://q-abc.cn-shanghai.fcapp.run/jobs/20'], LOCAL_KEY, { fetch });
    expect(result.code).toBe(0);
    expect(requests[0]?.url).toBe('https://q-abc.cn-shanghai.fcapp.run/jobs/20');
    expect(requests[0]?.headers.get('authorization')).toMatch(
      /^ACS3-HMAC-SHA256 Credential=LTAI5tEMULATORFAKEKEY0,SignedHeaders=x-acs-date;x-acs-security-token,Signature=[0-9a-f]{64}$/,
    );
  });
});

describe('npm run call, as a process', () => {
  const runTsx = tsxProcesses();
  it('--help exits 0', async () => {
    const child = runTsx(['local/cli/call.ts', '--help']);
    expect(await child.exit).toBe(0);
    expect(child.stdout()).toContain('Usage: npm run call');
  });
});
