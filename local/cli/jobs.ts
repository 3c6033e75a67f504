/**
 * `npm run jobs -- list|show|untrack|resend|stats …`: the operator's command line for the jobs the
 * sweeper tracks, through the query function's HTTP trigger (its operator API): under `npm start`, or
 * a deployed trigger, signed as `authType: function` requires (`triggerClient.ts`).
 *
 * Exit code 0 when the API said yes, 1 otherwise (its error code and message on stderr); `--help` 0.
 */

import { pathToFileURL } from 'node:url';
import { AppError } from '#shared/errors.ts';
import {
  JOB_STATES,
  type JobPage,
  type JobReplyBody,
  type JobState,
  type Stats,
  type Tracking,
} from '#shared/query/operatorApi.ts';
import { SigningError } from '#shared/signing/acs3.ts';
import { argsOrExitCode, type CliIo, parseFlags, UsageError } from './cliSupport.ts';
import { formatJobPage, formatJobReply, formatStats, formatTracking } from './jobsOutput.ts';
import { callTrigger, type TriggerClientOptions, triggerCredentials } from './triggerClient.ts';

export const USAGE = `Usage: npm run jobs -- COMMAND [--url URL] [--json]

Looks at and steers the jobs the sweeper tracks, through the query function's HTTP trigger.

Commands:
  list [STATE] [--limit N] [--cursor C]
                 tracked jobs in STATE: pending (the default), succeeded, failed or gave_up,
                 a page at a time (--limit 1-500, default 50; --cursor: the one a page printed)
  show ID        what aicontent says of the job now, and how it is tracked
  untrack ID     stop tracking the job: the sweeper forgets it
  resend ID      send the notification of a job that ended again, on the next sweep
  stats          jobs and notifications by state, time to finish, the last sweeps

Options:
  --url URL   the trigger: default http://127.0.0.1:$PORT (9000), npm start's; or a deployed
              https://…fcapp.run address
  --json      print the response's body as it came
  --help      show this help

Requests are signed as authType: function requires with ALIBABA_CLOUD_ACCESS_KEY_ID,
ALIBABA_CLOUD_ACCESS_KEY_SECRET and, for STS credentials, ALIBABA_CLOUD_SECURITY_TOKEN. Without them,
requests to this machine go unsigned (npm start's trigger takes them unless HTTP_AUTH_TYPE=function; then
use the local AccessKey LTAI5tEMULATORFAKEKEY0 / EmulatorFakeSecretNotARealKey000).`;

export type JobsCommand =
  | { name: 'list'; state: JobState; limit: number; cursor: string | undefined }
  | { name: 'show' | 'untrack' | 'resend'; id: string }
  | { name: 'stats' };

export interface JobsArgs {
  command: JobsCommand;
  url: URL;
  json: boolean;
}

const DEFAULT_LIMIT = 50;
const ID_COMMANDS = ['show', 'untrack', 'resend'] as const;

/** What the arguments ask for, or `help`; a `UsageError` says what is wrong. */
export function parseJobsArgs(argv: readonly string[], env: NodeJS.ProcessEnv): JobsArgs | 'help' {
  const { values, positionals } = parseFlags(
    argv,
    {
      url: { type: 'string' },
      json: { type: 'boolean' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
    },
    true,
  );
  if (values.help) return 'help';
  const [name, argument, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  if (name !== 'list' && (values.limit !== undefined || values.cursor !== undefined)) {
    throw new UsageError('--limit and --cursor go with list');
  }
  return {
    command: commandOf(name, argument, values),
    url: urlArg(values.url, env),
    json: values.json ?? false,
  };
}

function commandOf(
  name: string | undefined,
  argument: string | undefined,
  options: { limit?: string | undefined; cursor?: string | undefined },
): JobsCommand {
  if (name === 'list') {
    const state = (argument ?? 'pending') as JobState;
    if (!JOB_STATES.includes(state))
      throw new UsageError(`the state must be one of ${JOB_STATES.join(', ')}`);
    const limit = options.limit === undefined ? DEFAULT_LIMIT : Number(options.limit);
    if (!/^\d+$/.test(options.limit ?? '1') || limit < 1 || limit > 500) {
      throw new UsageError('--limit must be a whole number from 1 to 500');
    }
    return { name, state, limit, cursor: options.cursor };
  }
  if (ID_COMMANDS.includes(name as (typeof ID_COMMANDS)[number])) {
    if (!argument) throw new UsageError(`${name} needs the job's id`);
    return { name: name as (typeof ID_COMMANDS)[number], id: argument };
  }
  if (name === 'stats') {
    if (argument !== undefined) throw new UsageError(`unexpected argument: ${argument}`);
    return { name };
  }
  throw new UsageError(name ? `no command ${name}` : 'give a command');
}

function urlArg(value: string | undefined, env: NodeJS.ProcessEnv): URL {
  const text = value ?? `http://127.0.0.1:${env.PORT || 9000}`;
  if (!URL.canParse(text)) throw new UsageError(`--url must be the trigger's address, not ${text}`);
  const url = new URL(text);
  if (url.search || url.hash || url.username || url.password) {
    throw new UsageError('--url must have no user, password, query or fragment');
  }
  return url;
}

/** The request for a command: method and path below the trigger's address. */
function requestOf(command: JobsCommand): { method: string; path: string } {
  const job = (id: string) => `/jobs/${encodeURIComponent(id)}`;
  switch (command.name) {
    case 'list': {
      const query = new URLSearchParams({ state: command.state, limit: String(command.limit) });
      if (command.cursor !== undefined) query.set('cursor', command.cursor);
      return { method: 'GET', path: `/jobs?${query}` };
    }
    case 'show':
      return { method: 'GET', path: job(command.id) };
    case 'untrack':
      return { method: 'DELETE', path: job(command.id) };
    case 'resend':
      return { method: 'POST', path: `${job(command.id)}/notify` };
    case 'stats':
      return { method: 'GET', path: '/stats' };
  }
}

/** What a refusal says: our envelope, FC's own `{Code, Message}`, or the status and the start of the body. */
export function refusalOf(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const error = (body.error ?? body) as Record<string, unknown>;
    const code = error.code ?? error.Code;
    const message = error.message ?? error.Message;
    const requestId = error.requestId ?? error.RequestId;
    if (typeof code === 'string') {
      return `${status} ${code}: ${String(message)}${requestId ? ` (request ${String(requestId)})` : ''}`;
    }
  } catch {
    // not JSON: shown as it came
  }
  return `${status}: ${text.slice(0, 300) || 'no body'}`;
}

/** The response for people. */
function readable(command: JobsCommand, body: unknown, now: number): string[] {
  switch (command.name) {
    case 'list':
      return formatJobPage(body as JobPage, command.state, now);
    case 'show':
      return formatJobReply(body as JobReplyBody, now);
    case 'untrack':
      return [`Job ${command.id} is no longer tracked.`];
    case 'resend': {
      const { tracking } = body as { tracking: Tracking };
      return [
        `The notification of job ${command.id} goes out on the next sweep.`,
        ...formatTracking(tracking, now),
      ];
    }
    case 'stats':
      return formatStats(body as Stats);
  }
}

function parsedBody(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    throw new AppError(
      'InvalidResponse',
      `the trigger answered something else than JSON: ${text.slice(0, 300)}`,
    );
  }
}

export async function runJobsCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
  client: Omit<TriggerClientOptions, 'credentials'> = {},
): Promise<number> {
  const args = argsOrExitCode('npm run jobs', USAGE, () => parseJobsArgs(argv, env), io);
  if (typeof args === 'number') return args;
  const { method, path } = requestOf(args.command);
  const url = new URL(`${args.url.origin}${args.url.pathname.replace(/\/+$/, '')}${path}`);
  try {
    const response = await callTrigger(
      { method, url },
      { ...client, credentials: triggerCredentials(url, env) },
    );
    if (response.status < 200 || response.status > 299) {
      io.err(`npm run jobs: ${method} ${path}: ${refusalOf(response.status, response.text)}`);
      return 1;
    }
    if (args.json) {
      if (response.text) io.out(response.text);
      return 0;
    }
    for (const line of readable(
      args.command,
      parsedBody(response.text),
      (client.now?.() ?? new Date()).getTime(),
    ))
      io.out(line);
    return 0;
  } catch (error) {
    if (error instanceof AppError || error instanceof SigningError) {
      io.err(`npm run jobs: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const io = { out: (line: string) => console.log(line), err: (line: string) => console.error(line) };
  process.exitCode = await runJobsCli(process.argv.slice(2), process.env, io);
}
