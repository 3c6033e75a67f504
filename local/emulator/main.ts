/**
 * `npm run emulator -- [--port N] ...`: runs the aicontent emulator until SIGINT/SIGTERM, with one demo
 * job. Bad arguments and a busy port end with a message and exit code 1, never a stack trace.
 */

import { argsOrExitCode, startedOrSaid, stopOnSignals } from '#local/cli/cliSupport.ts';
import { parseEmulatorArgs, USAGE } from './args.ts';
import { startupBanner } from './banner.ts';
import { startEmulator } from './emulator.ts';

async function main(): Promise<number | undefined> {
  const args = argsOrExitCode('emulator', USAGE, () => parseEmulatorArgs(process.argv.slice(2), process.env));
  if (typeof args === 'number') return args;

  const emulator = await startedOrSaid(`emulator: cannot listen on ${args.host}:${args.port}`, () =>
    startEmulator({
      port: args.port,
      host: args.host,
      accessKeyId: args.accessKeyId,
      accessKeySecret: args.accessKeySecret,
      ...(args.quiet ? {} : { log: (line: string) => console.log(line) }),
    }),
  );
  if (!emulator) return 1;

  const demoJobId = emulator.createJob();
  console.log(startupBanner({ ...args, url: emulator.url, demoJobId }));

  stopOnSignals('emulator', () => emulator.close());
  return undefined;
}

const code = await main();
if (code !== undefined) process.exitCode = code;
