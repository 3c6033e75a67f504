import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_HEADER } from '#local/console/page/consoleHeader.ts';
import type { LocalStack } from '#local/stack.ts';
import { startTestStack } from '#test/helpers/testStack.ts';

let stack: LocalStack;
let closed = false;

beforeAll(async () => {
  stack = await startTestStack('e2e-console-stack', {
    consolePort: 0,
  });
}, 60_000);

afterAll(async () => {
  if (!closed) await stack?.close();
});

describe('the local stack with consolePort', () => {
  it('serves the console, whose API calls reach the query function', async () => {
    const url = stack.operatorConsole?.url ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await (await fetch(url)).text();
    expect(page).toContain(`<meta name="console-target" content="${stack.runtime.url}">`);

    const id = stack.emulator.createJob();
    const tracked = await fetch(`${stack.runtime.url}/jobs`, {
      method: 'POST',
      body: JSON.stringify({ inferenceJobId: id }),
    });
    expect(tracked.status).toBe(202);
    const listed = await fetch(`${url}api/jobs?state=pending`, { headers: { [CONSOLE_HEADER]: '1' } });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { jobs: { id: string }[] }).jobs.map((job) => job.id)).toEqual([id]);
  });

  it('stops the console with the stack', async () => {
    const url = stack.operatorConsole?.url ?? '';
    closed = true;
    await stack.close();
    await expect(fetch(url)).rejects.toThrow();
  });
});

describe('the local stack with consolePort and HTTP_AUTH_TYPE=function', () => {
  it('signs the console’s calls with the local AccessKey: the trigger serves them', async () => {
    const signed = await startTestStack('e2e-console-signed', {
      consolePort: 0,
      httpAuthType: 'function',
    });
    try {
      // Unsigned, the trigger refuses; through the console, it serves.
      expect((await fetch(`${signed.runtime.url}/stats`)).status).toBe(400);
      const url = signed.operatorConsole?.url ?? '';
      const stats = await fetch(`${url}api/stats`, { headers: { [CONSOLE_HEADER]: '1' } });
      expect(stats.status).toBe(200);
      expect(await stats.json()).toMatchObject({ jobs: { pending: 0 } });
    } finally {
      await signed.close();
    }
  });
});
