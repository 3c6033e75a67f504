/**
 * `npm start`: builds the functions, starts the aicontent emulator and the local FC runtime, and prints
 * how to try the whole loop. Ports from PORT (runtime, default 9000), EMULATOR_PORT (default 9100) and
 * CONSOLE_PORT (the operator console, default 9300).
 * The HTTP trigger runs without auth unless HTTP_AUTH_TYPE=function (then it checks signatures as FC
 * does). Stops cleanly on Ctrl-C. `npm run dev` (`--source`, under `tsx watch`) runs the TypeScript sources
 * instead of the bundles and restarts on every change.
 */
import { envInt } from '#shared/config.ts';
import { AppError } from '#shared/errors.ts';
import { buildAll } from '../scripts/build.ts';
import { settingValueProblems } from '../scripts/preflight.ts';
import { stopOnSignals, usageIfAsked } from './cli/cliSupport.ts';
import { DEFAULT_CONSOLE_PORT } from './console/args.ts';
import { startLocalStack } from './stack.ts';
import { stackBanner } from './startBanner.ts';

const USAGE = `usage: npm start            (npm run dev: the TypeScript sources, restarted on every change)

Builds the functions, starts the aicontent emulator, the local FC runtime (s.yaml's functions) and the
operator console, and prints the URLs and commands to try. Stop with Ctrl-C.

  PORT            the local runtime (default 9000)
  EMULATOR_PORT   the aicontent emulator (default 9100)
  CONSOLE_PORT    the operator console (default 9300)
  HTTP_AUTH_TYPE  function: the HTTP trigger checks signatures as FC does (default anonymous)

Every setting of the functions (README "Configuration") is read from the environment too.`;

async function main(): Promise<void> {
  usageIfAsked(USAGE);
  // A bad value is refused here, naming it, rather than failing every sweep in a log line.
  const problems = settingValueProblems(process.env);
  if (problems.length > 0) {
    for (const problem of problems) console.error(`npm start: ${problem.message}`);
    process.exitCode = 1;
    return;
  }
  const port = envInt(process.env, 'PORT', 9000, { min: 0, max: 65_535 });
  const emulatorPort = envInt(process.env, 'EMULATOR_PORT', 9100, { min: 0, max: 65_535 });
  const consolePort = envInt(process.env, 'CONSOLE_PORT', DEFAULT_CONSOLE_PORT, { min: 0, max: 65_535 });
  const source = process.argv.includes('--source');
  if (!source) {
    console.log('building the functions…');
    await buildAll({ local: true });
  }
  const stack = await startLocalStack({
    port,
    emulatorPort,
    consolePort,
    mode: source ? 'source' : 'bundle',
  });
  console.log(stackBanner(stack));
  stopOnSignals('npm start', () => stack.close());
}

main().catch((error: unknown) => {
  const message =
    error instanceof AppError ? error.message : error instanceof Error ? error.message : String(error);
  console.error(`npm start: ${message}`);
  process.exitCode = 1;
});
