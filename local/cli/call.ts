/**
 * `npm run call -- [METHOD] URL [JSON]`: one request to an HTTP trigger, signed as FC checks
 * `authType: function`, with the credentials of the standard variables (`ALIBABA_CLOUD_ACCESS_KEY_ID`,
 * `_SECRET`, optional `ALIBABA_CLOUD_SECURITY_TOKEN`); prints the status line and the body. The smoke
 * test after `s deploy`, and the way to call `HTTP_AUTH_TYPE=function npm start`.
 *
 * Exit code 0 for a 2xx response, 1 for anything else; `--help` prints the usage and exits 0.
 */
import { pathToFileURL } from 'node:url';
import { credentialsFromEnv } from '#shared/config.ts';
import { AppError } from '#shared/errors.ts';
import { SigningError } from '#shared/signing/acs3.ts';
import { argsOrExitCode, type CliIo, UsageError } from './cliSupport.ts';
import { callTrigger, type TriggerCall, type TriggerClientOptions } from './triggerClient.ts';

export const USAGE = `Usage: npm run call -- [METHOD] URL [JSON]

Sends one request to an FC HTTP trigger with authType: function, signed with ACS3-HMAC-SHA256 as FC
checks it, and prints the status and the body. METHOD defaults to GET, or POST when JSON is given.

Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, and ALIBABA_CLOUD_SECURITY_TOKEN
for STS credentials. Against HTTP_AUTH_TYPE=function npm start, use the local AccessKey
(LTAI5tEMULATORFAKEKEY0 / EmulatorFakeSecretNotARealKey000).

Examples:
  npm run call -- https://aicontent-jobs-query-xxxx.cn-shanghai.fcapp.run/jobs/20
  npm run call -- POST http://127.0.0.1:9000/jobs '{"inferenceJobId":"20"}'`;

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** The request the arguments ask for, or `help`; a `UsageError` says what is wrong. */
export function parseCallArgs(args: readonly string[]): TriggerCall | 'help' {
  if (args.includes('--help') || args.includes('-h')) return 'help';
  const rest = [...args];
  const method = rest[0] && METHODS.includes(rest[0].toUpperCase()) ? rest.shift()?.toUpperCase() : undefined;
  const [address, json, ...extra] = rest;
  if (!address) throw new UsageError('the trigger URL is missing');
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const url = URL.canParse(address) ? new URL(address) : undefined;
  if (!url) throw new UsageError(`not a URL: ${address}`);
  if (json !== undefined && !isJson(json)) throw new UsageError(`the body must be JSON, not ${json}`);
  return {
    method: method ?? (json === undefined ? 'GET' : 'POST'),
    url,
    body: json,
    contentType: json === undefined ? undefined : 'application/json',
  };
}

export async function runCallCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
  client: Omit<TriggerClientOptions, 'credentials'> = {},
): Promise<number> {
  const call = argsOrExitCode('npm run call', USAGE, () => parseCallArgs(args), io);
  if (typeof call === 'number') return call;
  try {
    const response = await callTrigger(call, { ...client, credentials: credentialsFromEnv(env) });
    const requestId = response.headers.get('x-fc-request-id');
    io.out(`${response.status} ${response.statusText}${requestId ? ` (x-fc-request-id: ${requestId})` : ''}`);
    if (response.text) io.out(readable(response.text));
    return response.status >= 200 && response.status < 300 ? 0 : 1;
  } catch (error) {
    if (error instanceof AppError || error instanceof SigningError) {
      io.err(`npm run call: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** JSON indented, anything else as it came. */
function readable(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const io = { out: (line: string) => console.log(line), err: (line: string) => console.error(line) };
  process.exitCode = await runCallCli(process.argv.slice(2), process.env, io);
}
