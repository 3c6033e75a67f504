/**
 * The whole product on one machine: the aicontent emulator, and the local FC runtime running the
 * functions of s.yaml against it, wired as they would be on FC. `npm start` runs it; the e2e tests
 * start it on free ports.
 */
import { resolve } from 'node:path';
import { freePort } from '#local/cli/cliSupport.ts';
import { type ConsoleServer, startConsole, triggerSigner } from '#local/console/server.ts';
import { type Emulator, type EmulatorOptions, startEmulator } from '#local/emulator/emulator.ts';
import type { CredentialsSource } from '#local/runtime/credentials.ts';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '#local/runtime/runtime.ts';
import { envEnum } from '#shared/config.ts';
import { SETTINGS } from '#shared/settings.ts';

export interface LocalStackOptions {
  /** The local runtime's port (the query function's HTTP trigger is at its root); 0 = a free one. */
  port: number;
  emulatorPort: number;
  /** Where the embedded job store keeps tracked jobs (default `.data/jobs.db`). */
  jobStoreUrl?: string;
  /** The sweeper's timer (s.yaml's `SWEEP_SCHEDULE`); default `@every 10s` so a demo moves quickly. */
  sweepSchedule?: string;
  /**
   * The HTTP trigger's `authType` (s.yaml's `HTTP_AUTH_TYPE`): default `$HTTP_AUTH_TYPE`, else
   * `anonymous`, so that `npm start` answers plain curl; `function` makes the runtime check signatures
   * as FC does.
   */
  httpAuthType?: string;
  mode?: LocalRuntimeOptions['mode'];
  timers?: boolean;
  /** Extra variables for every function (e.g. sweeper settings in tests). */
  env?: Record<string, string>;
  emulator?: Omit<EmulatorOptions, 'port'>;
  /** What the functions get as `context.credentials`; default fresh STS minted by the emulator. */
  credentials?: (emulator: Emulator) => CredentialsSource;
  log?: (line: string) => void;
  onInvocation?: LocalRuntimeOptions['onInvocation'];
  /** Serve the operator console for the query function on this port too (0 = a free one). */
  consolePort?: number;
}

export type LocalStack = Awaited<ReturnType<typeof startLocalStack>>;

/**
 * The variables s.yaml is evaluated with locally: `env`, plus the demo's choices where it sets none: a
 * sweep every 10 s, and on-job-done as the default notify target. (s.yaml has no default target: an
 * empty variable takes s.yaml's default, so a default function there could never give way to NOTIFY_URL.)
 */
export function demoTemplateEnv(env: NodeJS.ProcessEnv, sweepSchedule?: string): NodeJS.ProcessEnv {
  const hasTarget = Boolean(env.NOTIFY_FUNCTION || env.NOTIFY_URL);
  return {
    ...env,
    SWEEP_SCHEDULE: sweepSchedule ?? env.SWEEP_SCHEDULE ?? '@every 10s',
    ...(hasTarget ? {} : { NOTIFY_FUNCTION: 'aicontent-jobs-on-job-done' }),
  };
}

export async function startLocalStack(options: LocalStackOptions) {
  const httpAuthType = envEnum(
    { HTTP_AUTH_TYPE: options.httpAuthType ?? process.env.HTTP_AUTH_TYPE },
    'HTTP_AUTH_TYPE',
    SETTINGS.HTTP_AUTH_TYPE.values,
    'anonymous',
  );
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
      // Outside callers (the official SDK, `npm run call`) sign with the emulator's AccessKey.
      callerKey: { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret },
      credentials: options.credentials?.(emulator) ?? (async () => emulator.mintStsCredentials()),
      // A target in `env` (NOTIFY_URL, say) takes the place of the demo's on-job-done, as one set outside would.
      templateEnv: {
        ...demoTemplateEnv({ ...process.env, ...options.env }, options.sweepSchedule),
        HTTP_AUTH_TYPE: httpAuthType,
      },
      env: {
        AICONTENT_ENDPOINT: emulator.url,
        NOTIFY_FC_ENDPOINT: `http://127.0.0.1:${port}`,
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
  let operatorConsole: ConsoleServer | undefined;
  if (options.consolePort !== undefined) {
    // A trigger that checks signatures gets the console's calls signed with the local AccessKey.
    const localKey = () => ({ accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret });
    operatorConsole = await startConsole({
      target: runtime.url,
      port: options.consolePort,
      ...(httpAuthType === 'function' ? { sign: triggerSigner(localKey) } : {}),
    }).catch(async (error: unknown) => {
      await runtime.close();
      await emulator.close();
      throw error;
    });
  }
  return {
    emulator,
    runtime,
    operatorConsole,
    httpAuthType,
    async close() {
      await operatorConsole?.close();
      await runtime.close();
      await emulator.close();
    },
  };
}
