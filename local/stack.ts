/**
 * The whole product on one machine: the aicontent emulator, and the local FC runtime running the
 * functions of s.yaml against it, wired as they would be on FC. `npm start` runs it; the e2e tests
 * start it on free ports.
 */
import { resolve } from 'node:path';
import { freePort } from '#local/cli/cliSupport.ts';
import { type Emulator, type EmulatorOptions, startEmulator } from '#local/emulator/emulator.ts';
import type { CredentialsSource } from '#local/runtime/credentials.ts';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '#local/runtime/runtime.ts';

export interface LocalStackOptions {
  /** The local runtime's port (the query function's HTTP trigger is at its root); 0 = a free one. */
  port: number;
  emulatorPort: number;
  /** Where the embedded job store keeps tracked jobs (default `.data/jobs.db`). */
  jobStoreUrl?: string;
  /** The sweeper's timer (s.yaml's `SWEEP_SCHEDULE`); default `@every 10s` so a demo moves quickly. */
  sweepSchedule?: string;
  mode?: LocalRuntimeOptions['mode'];
  timers?: boolean;
  /** Extra variables for every function (e.g. sweeper settings in tests). */
  env?: Record<string, string>;
  emulator?: Omit<EmulatorOptions, 'port'>;
  /** What the functions get as `context.credentials`; default fresh STS minted by the emulator. */
  credentials?: (emulator: Emulator) => CredentialsSource;
  log?: (line: string) => void;
  onInvocation?: LocalRuntimeOptions['onInvocation'];
}

export type LocalStack = Awaited<ReturnType<typeof startLocalStack>>;

export async function startLocalStack(options: LocalStackOptions) {
  // The job store outlives the emulator (`.data/jobs.db`): ids from the clock, in milliseconds, are not
  // those of jobs tracked in an earlier run, which the store would take for known ones.
  const emulator = await startEmulator({
    firstJobId: Date.now(),
    ...options.emulator,
    port: options.emulatorPort,
  });
  let runtime: LocalRuntime;
  try {
    // The sweeper's InvokeFunction calls must reach this runtime, so its URL must be known up front.
    const port = options.port || (await freePort());
    runtime = await startLocalRuntime({
      sYamlPath: resolve('s.yaml'),
      port,
      mode: options.mode ?? 'bundle',
      timers: options.timers ?? true,
      rootFunction: 'aicontent-jobs-query',
      credentials: options.credentials?.(emulator) ?? (async () => emulator.mintStsCredentials()),
      templateEnv: {
        ...process.env,
        SWEEP_SCHEDULE: options.sweepSchedule ?? process.env.SWEEP_SCHEDULE ?? '@every 10s',
      },
      env: {
        AICONTENT_ENDPOINT: emulator.url,
        FC_ENDPOINT: `http://127.0.0.1:${port}`,
        JOB_STORE_URL: options.jobStoreUrl ?? `file:${resolve('.data/jobs.db')}`,
        // Locally the instance disk is this machine's disk: durable, and shared by every instance.
        JOB_STORE_ALLOW_LOCAL_DISK: '1',
        NOTIFY_ALLOW_HTTP: '1',
        // Local receivers are on this machine: let webhooks reach loopback and private addresses.
        NOTIFY_ALLOW_PRIVATE_ADDRESSES: '1',
        ...options.env,
      },
      ...(options.log ? { log: options.log } : {}),
      ...(options.onInvocation ? { onInvocation: options.onInvocation } : {}),
    });
  } catch (error) {
    await emulator.close();
    throw error;
  }
  return {
    emulator,
    runtime,
    async close() {
      await runtime.close();
      await emulator.close();
    },
  };
}
