/** What the local command-line tools (emulator, local runtime) share: argument errors, ports, stopping. */
import { createServer } from 'node:net';

/** Bad arguments: the message says what is wrong, for the user, without a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs `node:util`'s `parseArgs`; its messages are clear ("Unknown option '--x'"), only the class changes. */
export function parseOrUsageError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A `--port`/`PORT` value: a whole number from 0 (a free port) to 65535. */
export function portArg(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 65535) {
    throw new UsageError(`the port must be a whole number from 0 to 65535, not ${JSON.stringify(value)}`);
  }
  return number;
}

/** Stops `name` cleanly on Ctrl-C or SIGTERM, saying so. */
export function stopOnSignals(name: string, close: () => Promise<void>): void {
  const stop = (signal: NodeJS.Signals) => {
    console.log(`${name}: ${signal}, stopping`);
    close().then(
      () => console.log(`${name}: stopped`),
      (error: unknown) => {
        console.error(`${name}: could not stop cleanly: ${String(error)}`);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/**
 * Parses a tool's arguments; on a usage error prints it with the usage text and returns undefined
 * (the caller exits with code 1).
 */
export function argsOrUsage<T>(name: string, usage: string, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${name}: ${error.message}\n\n${usage}`);
    return undefined;
  }
}

/** A port free on the loopback interface right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from listen(0)');
  return address.port;
}
