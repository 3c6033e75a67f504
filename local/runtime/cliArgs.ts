/** The local runtime CLI's arguments: flags first, then the environment, then the defaults. */
import { parseFlags, portArg, UsageError } from '#local/cli/cliSupport.ts';
import type { Env } from '#shared/config.ts';
import type { RuntimeMode } from './handlerModule.ts';

export const DEFAULT_PORT = 9000;

export const USAGE = `Usage: tsx local/runtime/main.ts [options]

Runs the functions of s.yaml locally: HTTP triggers, timer triggers and direct invocation, no Docker.

Options:
  --port N            port to listen on (0: any free port); default $PORT, else ${DEFAULT_PORT}
  --source            run functions/<resource>/handler.ts (TypeScript) instead of the built bundles
  --emulator URL      the aicontent emulator: functions get STS credentials it mints and call it
                      (AICONTENT_ENDPOINT); without it they get made-up credentials
  --s-yaml PATH       the Serverless Devs file; default ./s.yaml
  --root NAME         the function served at the root when several have an HTTP trigger
  --help              show this help`;

export interface RuntimeArgs {
  help: boolean;
  port: number;
  mode: RuntimeMode;
  emulatorUrl: string | undefined;
  sYamlPath: string;
  rootFunction: string | undefined;
}

export function parseRuntimeArgs(argv: readonly string[], env: Env): RuntimeArgs {
  const { values } = parseFlags(argv, {
    port: { type: 'string' },
    source: { type: 'boolean' },
    emulator: { type: 'string' },
    's-yaml': { type: 'string' },
    root: { type: 'string' },
  });
  return {
    help: values.help ?? false,
    port: portArg(values.port ?? env.PORT, DEFAULT_PORT),
    mode: values.source ? 'source' : 'bundle',
    emulatorUrl: values.emulator === undefined ? undefined : emulatorUrl(values.emulator),
    sYamlPath: values['s-yaml'] ?? 's.yaml',
    rootFunction: values.root,
  };
}

function emulatorUrl(value: string): string {
  if (!URL.canParse(value)) {
    throw new UsageError(
      `--emulator needs a URL such as http://127.0.0.1:9100, not ${JSON.stringify(value)}`,
    );
  }
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--emulator must be an http(s) URL, not ${JSON.stringify(value)}`);
  }
  return url.origin;
}
