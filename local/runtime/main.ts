/**
 * `tsx local/runtime/main.ts [--port N] [--source] [--emulator URL] [--s-yaml PATH]`: runs the functions
 * of s.yaml locally until SIGINT/SIGTERM. Bad arguments and start-up failures (a missing bundle, a bad
 * s.yaml, a busy port) end with a message and exit code 1, never a stack trace.
 */

import { argsOrExitCode, startedOrSaid, stopOnSignals } from '#local/cli/cliSupport.ts';
import { startupBanner } from './banner.ts';
import { parseRuntimeArgs, USAGE } from './cliArgs.ts';
import { emulatorCredentialsSource } from './credentials.ts';
import { startLocalRuntime } from './runtime.ts';

async function main(): Promise<number | undefined> {
  const args = argsOrExitCode('local runtime', USAGE, () =>
    parseRuntimeArgs(process.argv.slice(2), process.env),
  );
  if (typeof args === 'number') return args;

  const { emulatorUrl } = args;
  const runtime = await startedOrSaid('local runtime: cannot start', () =>
    startLocalRuntime({
      sYamlPath: args.sYamlPath,
      port: args.port,
      mode: args.mode,
      rootFunction: args.rootFunction,
      ...(emulatorUrl
        ? { credentials: emulatorCredentialsSource(emulatorUrl), env: { AICONTENT_ENDPOINT: emulatorUrl } }
        : {}),
    }),
  );
  if (!runtime) return 1;
  const credentials = emulatorUrl ? `STS from the emulator at ${emulatorUrl}` : 'made-up STS (no --emulator)';
  console.log(startupBanner(runtime, { mode: args.mode, credentials }));

  stopOnSignals('local runtime', () => runtime.close());
  return undefined;
}

const code = await main();
if (code !== undefined) process.exitCode = code;
