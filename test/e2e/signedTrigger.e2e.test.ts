import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCallCli } from '#local/cli/call.ts';
import { type LocalStack, startLocalStack } from '#local/stack.ts';
import { ConfigError } from '#shared/errors.ts';
import { startTestStack } from '#test/helpers/testStack.ts';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack('e2e-signed', {
    httpAuthType: 'function',
  });
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

async function call(args: string[], secret = stack.emulator.accessKeySecret) {
  const out: string[] = [];
  const err: string[] = [];
  const env = {
    ALIBABA_CLOUD_ACCESS_KEY_ID: stack.emulator.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret,
  };
  const code = await runCallCli(args, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return {
    code,
    status: out[0],
    body: JSON.parse(out.slice(1).join('\n') || '{}') as Record<string, unknown>,
  };
}

describe('the query trigger with authType: function', () => {
  it('refuses an unsigned request as FC does', async () => {
    const response = await fetch(`${stack.runtime.url}/jobs/1`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ Code: 'MissingRequiredHeader' });
  });

  it('serves npm run call with the local AccessKey: query, track, list', async () => {
    const id = stack.emulator.createJob({ schedule: { waitScheduleMs: 60_000 } });
    const queried = await call([`${stack.runtime.url}/jobs/${id}`]);
    expect(queried).toMatchObject({ code: 0, status: expect.stringMatching(/^200 /), body: { job: { id } } });
    const tracked = await call(['POST', `${stack.runtime.url}/jobs`, JSON.stringify({ inferenceJobId: id })]);
    expect(tracked).toMatchObject({ code: 0, status: expect.stringMatching(/^202 /) });
    const listed = await call([`${stack.runtime.url}/jobs?state=pending&limit=10`]);
    expect(listed.body).toMatchObject({
      jobs: expect.arrayContaining([expect.objectContaining({ id })]),
    });
  });

  it('refuses npm run call with a wrong secret', async () => {
    const refused = await call([`${stack.runtime.url}/jobs/1`], 'NotTheSecret');
    expect(refused).toMatchObject({
      code: 1,
      status: expect.stringMatching(/^403 /),
      body: { Code: 'SignatureNotMatch' },
    });
  });
});

it('refuses an unknown HTTP_AUTH_TYPE before starting anything', async () => {
  await expect(
    startLocalStack({ port: 0, emulatorPort: 0, timers: false, httpAuthType: 'functon', log: () => {} }),
  ).rejects.toThrow(new ConfigError('HTTP_AUTH_TYPE must be one of function, anonymous, jwt, got "functon"'));
});
