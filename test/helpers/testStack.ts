/**
 * `npm start`'s stack for a test: any free ports, no timers (a test sweeps when it wants to), a job store
 * of its own in a new temporary folder, no log; `options` change or add to that.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '#local/stack.ts';

/** `name` names the temporary folder, so a leftover one says which test left it. */
export function startTestStack(name: string, options: Partial<LocalStackOptions> = {}): Promise<LocalStack> {
  return startLocalStack({
    port: 0,
    emulatorPort: 0,
    timers: false,
    jobStoreUrl: `file:${mkdtempSync(join(tmpdir(), `${name}-`))}/jobs.db`,
    log: () => {},
    ...options,
  });
}
