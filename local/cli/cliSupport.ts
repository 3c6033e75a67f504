/**
 * What the command-line tools share: help, argument errors, ports, stopping, and how a network failure
 * is told.
 */
import { createServer } from 'node:net';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Where a tool writes its lines: stdout and stderr, or what a test captures. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const consoleIo: CliIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

/** Whether the arguments ask for the usage (`--help`, `-h`): every tool then prints it and exits 0. */
export function helpAsked(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/**
 * For a tool whose entry point is its module's top level: when the arguments ask for help, prints
 * `usage` and ends the process with exit code 0, before the tool does anything.
 */
export function usageIfAsked(usage: string, args: readonly string[] = process.argv.slice(2)): void {
  if (!helpAsked(args)) return;
  console.log(usage);
  process.exit(0);
}

/**
 * What failed underneath a network error: the innermost cause (the socket's ECONNREFUSED, ENOTFOUND,
 * a TLS certificate error…) as `CODE message`, whatever wrapped it (fetch, our transport).
 */
export function networkCause(error: unknown): string {
  let cause = error;
  while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause;
  const code = (cause as { code?: unknown } | null)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}

/** Bad arguments: the message says what is wrong, for the user, without a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * `node:util`'s `parseArgs`, strict, `--help`/`-h` added to `options`. Its messages are clear ("Unknown
 * option '--x'"): they become `UsageError`s as they are.
 */
export function parseFlags<const O extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  options: O,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    });
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

/**
 * What `start` starts (a server the tool runs); undefined once it said on stderr why it could not,
 * as `<failure>: <the error's message>`, without a stack (the caller exits with code 1).
 */
export async function startedOrSaid<T>(failure: string, start: () => Promise<T>): Promise<T | undefined> {
  try {
    return await start();
  } catch (error) {
    console.error(`${failure}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
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
 * A tool's arguments, as `parse` reads them; or, once the usage is printed instead, the exit code: 0 when
 * they ask for help (`'help'`, or `help: true`), 1 after saying what is wrong (a `UsageError`).
 */
export function argsOrExitCode<T>(
  tool: string,
  usage: string,
  parse: () => T | 'help',
  io: CliIo = consoleIo,
): T | number {
  let args: T | 'help';
  try {
    args = parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${tool}: ${error.message}\n\n${usage}`);
    return 1;
  }
  if (
    args === 'help' ||
    (typeof args === 'object' && args !== null && 'help' in args && args.help === true)
  ) {
    io.out(usage);
    return 0;
  }
  return args;
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
