/**
 * `npm run console -- URL [--port N]`: the operator console for the query function at URL, on this
 * machine until SIGINT/SIGTERM. Bad arguments and a busy port end with a message and exit code 1.
 */
import { argsOrUsage, stopOnSignals } from '#local/cli/cliSupport.ts';
import { parseConsoleArgs, USAGE } from './args.ts';
import { type ConsoleServer, startConsole } from './server.ts';

async function main(): Promise<number | undefined> {
  const args = argsOrUsage('console', USAGE, () => parseConsoleArgs(process.argv.slice(2), process.env));
  if (!args) return 1;
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  let server: ConsoleServer;
  try {
    server = await startConsole({ target: args.target, port: args.port, log: (line) => console.log(line) });
  } catch (error) {
    console.error(`console: cannot listen on 127.0.0.1:${args.port}: ${(error as Error).message}`);
    return 1;
  }
  console.log(
    [
      `console: ${server.url}  (API: ${args.target})`,
      `  page ${(server.size.bytes / 1024).toFixed(1)} KB, ${(server.size.gzipBytes / 1024).toFixed(1)} KB gzipped, loads nothing else`,
      '  requests are forwarded unsigned: a deployed trigger with authType function refuses them',
      'Stop with Ctrl-C.',
    ].join('\n'),
  );
  stopOnSignals('console', () => server.close());
  return undefined;
}

const code = await main();
if (code !== undefined) process.exitCode = code;
