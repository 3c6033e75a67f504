/** `npm run console` arguments: the trigger URL, then options. */
import { parseFlags, portArg, UsageError } from '#local/cli/cliSupport.ts';
import type { Env } from '#shared/config.ts';

export const DEFAULT_CONSOLE_PORT = 9300;

export const USAGE = `Usage: npm run console -- URL [--port N]

Serves the operator console on http://127.0.0.1:PORT/ (this machine only) and forwards its calls to the
query function's HTTP trigger at URL: http://127.0.0.1:9000 under npm start, or a deployed trigger's
https:// address.

Options:
  --port N   port to listen on (0: any free port); default $CONSOLE_PORT, else ${DEFAULT_CONSOLE_PORT}
  --help     show this help

Calls are signed as authType: function requires with ALIBABA_CLOUD_ACCESS_KEY_ID,
ALIBABA_CLOUD_ACCESS_KEY_SECRET and, for STS credentials, ALIBABA_CLOUD_SECURITY_TOKEN; without them,
calls to a trigger on this machine go unsigned.`;

export interface ConsoleArgs {
  help: boolean;
  target: string;
  port: number;
}

const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** An http(s) URL without credentials, query or fragment; plain http only to this machine. */
function targetArg(value: string): string {
  if (!URL.canParse(value)) {
    throw new UsageError(
      `URL must be the trigger's address, like https://…fcapp.run, not ${JSON.stringify(value)}`,
    );
  }
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`URL must be http:// or https://, not ${url.protocol}`);
  }
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.test(url.hostname)) {
    throw new UsageError(`use https:// for a trigger on another machine (${url.hostname})`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new UsageError('URL must have no user, password, query or fragment');
  }
  return url.href;
}

export function parseConsoleArgs(argv: readonly string[], env: Env): ConsoleArgs {
  const { values, positionals } = parseFlags(argv, { port: { type: 'string' } }, true);
  if (values.help) return { help: true, target: '', port: DEFAULT_CONSOLE_PORT };
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'give the trigger URL' : 'give one URL only');
  }
  return {
    help: false,
    target: targetArg(positionals[0] as string),
    port: portArg(values.port ?? env.CONSOLE_PORT, DEFAULT_CONSOLE_PORT),
  };
}
