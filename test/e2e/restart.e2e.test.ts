/**
 * `npm start` again after a stop: the job store (`.data/jobs.db`) keeps the jobs tracked before, while
 * the emulator starts empty. A job created after the restart must not take the id of one tracked
 * before, or tracking it would find the old job (idempotent track) and the new one would never be told.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '#local/stack.ts';

const jobStoreUrl = `file:${mkdtempSync(join(tmpdir(), 'e2e-restart-'))}/jobs.db`;
let stack: LocalStack | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function track(id: string): Promise<{ job: { id: string; attempts: number } }> {
  const response = await fetch(`${stack?.runtime.url}/jobs`, {
    method: 'POST',
    body: JSON.stringify({ inferenceJobId: id }),
  });
  expect(response.status).toBe(202);
  return response.json() as Promise<{ job: { id: string; attempts: number } }>;
}

it('gives the jobs of a restarted stack ids that no job tracked before has', async () => {
  const options = { port: 0, emulatorPort: 0, timers: false, jobStoreUrl };
  stack = await startLocalStack(options);
  const before = [stack.emulator.createJob(), stack.emulator.createJob()];
  for (const id of before) await track(id);
  await stack.close();

  stack = await startLocalStack(options);
  const after = stack.emulator.createJob();
  expect(before).not.toContain(after);
  expect(Number(after)).toBeGreaterThan(Math.max(...before.map(Number)));
  const listed = await fetch(`${stack.runtime.url}/jobs?state=pending&limit=10`).then(
    (response) => response.json() as Promise<{ jobs: { id: string }[] }>,
  );
  expect(listed.jobs.map((job) => job.id).sort()).toEqual([...before].sort());
  await track(after);
  const again = await fetch(`${stack.runtime.url}/jobs?state=pending&limit=10`).then(
    (response) => response.json() as Promise<{ jobs: { id: string }[] }>,
  );
  expect(again.jobs).toHaveLength(3);
}, 60_000);
