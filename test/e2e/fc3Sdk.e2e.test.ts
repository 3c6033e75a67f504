import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvocationRecord } from '#local/runtime/invocations.ts';
import type { LocalStack } from '#local/stack.ts';
import { type Fc3Client, type Fc3SdkError, fc3Client, invokeWithSdk } from '#test/helpers/fc3Sdk.ts';
import { startTestStack } from '#test/helpers/testStack.ts';

const QUERY = 'aicontent-jobs-query';
let stack: LocalStack;
let client: Fc3Client;
const records: InvocationRecord[] = [];

beforeAll(async () => {
  stack = await startTestStack('e2e-fc3-sdk', {
    onInvocation: (record) => records.push(record),
  });
  const { emulator, runtime } = stack;
  client = fc3Client(new URL(runtime.url).host, {
    accessKeyId: emulator.accessKeyId,
    accessKeySecret: emulator.accessKeySecret,
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

describe('the official FC 3.0 SDK against the local runtime', () => {
  it('invokes the query function synchronously and gets its response', async () => {
    const id = stack.emulator.createJob({ schedule: { waitScheduleMs: 60_000 } });
    const response = await invokeWithSdk(client, QUERY, { body: JSON.stringify({ inferenceJobId: id }) });
    expect(response.status).toBe(200);
    expect(response.headers['x-fc-request-id']).toMatch(/^1-/);
    expect(JSON.parse(response.text)).toMatchObject({
      job: { id, state: 'pending' },
      terminal: false,
      retryAfterSeconds: 10,
    });
  });

  it('invokes with a qualifier', async () => {
    const id = stack.emulator.createJob();
    const response = await invokeWithSdk(client, QUERY, {
      body: JSON.stringify({ inferenceJobId: id }),
      qualifier: 'LATEST',
    });
    expect(JSON.parse(response.text)).toMatchObject({ job: { id } });
  });

  it('invokes asynchronously: 202 at once, the invocation afterwards', async () => {
    const id = stack.emulator.createJob();
    const response = await invokeWithSdk(client, QUERY, {
      body: JSON.stringify({ action: 'track', inferenceJobId: id }),
      async: true,
    });
    expect(response.status).toBe(202);
    const requestId = response.headers['x-fc-request-id'];
    await expect
      .poll(() => records.find((record) => record.requestId === requestId))
      .toMatchObject({ functionName: QUERY, async: true, outcome: { ok: true } });
  });

  it('is refused with a wrong secret, and the SDK reports FC’s code and message', async () => {
    const wrong = fc3Client(new URL(stack.runtime.url).host, {
      accessKeyId: stack.emulator.accessKeyId,
      accessKeySecret: 'NotTheSecret',
    });
    const error = (await invokeWithSdk(wrong, QUERY, { body: '{}' }).catch((e: unknown) => e)) as Fc3SdkError;
    expect(error.code).toBe('SignatureNotMatch');
    expect(error.statusCode).toBe(403);
    expect(error.message).toMatch(/code: 403, The request signature we calculated does not match/);
    expect(error.data).toMatchObject({ Code: 'SignatureNotMatch', RequestId: expect.stringMatching(/^1-/) });
  });
});
