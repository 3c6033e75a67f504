/** The emulator CLI's arguments: flags first, then the environment, then the defaults. */
import { parseFlags, portArg, UsageError } from '#local/cli/cliSupport.ts';
import type { Env } from '#shared/config.ts';
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

export function parseEmulatorArgs(argv: readonly string[], env: Env): EmulatorArgs {
  const { values } = parseFlags(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'access-key-id': { type: 'string' },
    'access-key-secret': { type: 'string' },
    quiet: { type: 'boolean' },
  });
  const keys = accessKeys(values['access-key-id'], values['access-key-secret'], env);
  return {
    help: values.help ?? false,
    quiet: values.quiet ?? false,
    port: portArg(values.port ?? env.PORT, DEFAULT_PORT),
    host: values.host ?? '127.0.0.1',
    ...keys,
  };
}

function accessKeys(
  flagId: string | undefined,
  flagSecret: string | undefined,
  env: Env,
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
