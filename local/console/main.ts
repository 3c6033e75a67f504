/**
 * `npm run console -- URL [--port N]`: the operator console for the query function at URL, on this
 * machine until SIGINT/SIGTERM. Its calls are signed as `npm run call` signs, with the credentials of
 * the `ALIBABA_CLOUD_*` variables; without them, to a trigger on this machine, they go unsigned. Bad
 * arguments, missing credentials and a busy port end with a message and exit code 1.
 */
import { argsOrExitCode, startedOrSaid, stopOnSignals } from '#local/cli/cliSupport.ts';
import { triggerCredentials } from '#local/cli/triggerClient.ts';
import type { CredentialsProvider } from '#shared/credentials.ts';
import { AppError } from '#shared/errors.ts';
import { parseConsoleArgs, USAGE } from './args.ts';
import { startConsole, triggerSigner } from './server.ts';

async function main(): Promise<number | undefined> {
  const args = argsOrExitCode('console', USAGE, () => parseConsoleArgs(process.argv.slice(2), process.env));
  if (typeof args === 'number') return args;
  let credentials: CredentialsProvider | undefined;
  try {
    credentials = triggerCredentials(new URL(args.target), process.env);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    console.error(`console: ${error.message}`);
    return 1;
  }
  const server = await startedOrSaid(`console: cannot listen on 127.0.0.1:${args.port}`, () =>
    startConsole({
      target: args.target,
      port: args.port,
      ...(credentials ? { sign: triggerSigner(credentials) } : {}),
      log: (line) => console.log(line),
    }),
  );
  if (!server) return 1;
  console.log(
    [
      `console: ${server.url}  (API: ${args.target})`,
      `  page ${(server.size.bytes / 1024).toFixed(1)} KB, ${(server.size.gzipBytes / 1024).toFixed(1)} KB gzipped, loads nothing else`,
      credentials
        ? `  calls signed with ${process.env.ALIBABA_CLOUD_ACCESS_KEY_ID ?? '(no AccessKey id)'}`
        : '  calls unsigned (no ALIBABA_CLOUD_ACCESS_KEY_ID): fine for a trigger with authType anonymous',
      'Stop with Ctrl-C.',
    ].join('\n'),
  );
  stopOnSignals('console', () => server.close());
  return undefined;
}

const code = await main();
if (code !== undefined) process.exitCode = code;
