/** The emulator CLI's arguments: flags first, then the environment, then the defaults. */
import { parseArgs } from 'node:util';
import { FAKE_ACCESS_KEY_ID, FAKE_ACCESS_KEY_SECRET } from './emulator.ts';

export const DEFAULT_PORT = 9100;

export const USAGE = `Usage: npm run emulator -- [options]

Options:
  --port N                 port to listen on (0: any free port); default $PORT, else ${DEFAULT_PORT}
  --host H                 address to listen on; default 127.0.0.1
  --access-key-id ID       the AccessKey pair to accept (give both); default
  --access-key-secret S      $ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET, else a built-in fake pair
  --quiet                  do not print a line per request
  --help                   show this help`;

/** Where the accepted AccessKey pair came from: the banner only prints a secret it invented. */
export type KeySource = 'built-in' | 'flags' | 'environment';

export interface EmulatorArgs {
  help: boolean;
  quiet: boolean;
  port: number;
  host: string;
  accessKeyId: string;
  accessKeySecret: string;
  keySource: KeySource;
}

/** Bad arguments: the message says what is wrong, for the user, without a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseEmulatorArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): EmulatorArgs {
  let values: ReturnType<typeof parseFlags>;
  try {
    values = parseFlags(argv);
  } catch (error) {
    // node:util's messages are clear ("Unknown option '--x'"); only the error class changes.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const keys = accessKeys(values['access-key-id'], values['access-key-secret'], env);
  return {
    help: values.help ?? false,
    quiet: values.quiet ?? false,
    port: port(values.port ?? env.PORT),
    host: values.host ?? '127.0.0.1',
    ...keys,
  };
}

function parseFlags(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'access-key-id': { type: 'string' },
      'access-key-secret': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
}

function port(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PORT;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 65535) {
    throw new UsageError(`the port must be a whole number from 0 to 65535, not ${JSON.stringify(value)}`);
  }
  return number;
}

function accessKeys(
  flagId: string | undefined,
  flagSecret: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Pick<EmulatorArgs, 'accessKeyId' | 'accessKeySecret' | 'keySource'> {
  if (flagId !== undefined || flagSecret !== undefined) {
    if (!flagId || !flagSecret) throw new UsageError('--access-key-id and --access-key-secret go together');
    return { accessKeyId: flagId, accessKeySecret: flagSecret, keySource: 'flags' };
  }
  const envId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const envSecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (envId || envSecret) {
    if (!envId || !envSecret) {
      throw new UsageError(
        'set both ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or neither (for the fake pair)',
      );
    }
    return { accessKeyId: envId, accessKeySecret: envSecret, keySource: 'environment' };
  }
  return { accessKeyId: FAKE_ACCESS_KEY_ID, accessKeySecret: FAKE_ACCESS_KEY_SECRET, keySource: 'built-in' };
}
