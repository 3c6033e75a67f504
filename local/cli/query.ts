/**
 * `npm run query -- <inferenceJobId>`: asks aicontent (or the emulator) for one job and prints the
 * normalized answer as JSON. The endpoint comes from AICONTENT_ENDPOINT, the credentials from the
 * standard ALIBABA_CLOUD_* variables. Any error is one clear line on stderr and exit code 1.
 */
import { pathToFileURL } from 'node:url';
import { type AicontentClientOptions, createAicontentClient } from '#shared/aicontent/client.ts';
import { AicontentError } from '#shared/aicontent/errors.ts';
import { credentialsFromEnv } from '#shared/credentials.ts';
import { AppError } from '#shared/errors.ts';

const USAGE = 'usage: npm run query -- <inferenceJobId>';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

function describe(error: unknown): string {
  if (error instanceof AicontentError) {
    const upstream = [error.upstreamCode, error.errCode, error.errMessage].filter(Boolean).join(' ');
    const request = error.requestId ? ` [requestId ${error.requestId}]` : '';
    return `${error.message}${upstream ? `: ${upstream}` : ''}${request}`;
  }
  if (error instanceof AppError) return error.message;
  return `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}

/** Runs the CLI; returns the exit code. `client` lets tests inject timing options. */
export async function runQueryCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
  client: Partial<AicontentClientOptions> = {},
): Promise<number> {
  if (args.length !== 1 || args[0] === '--help' || args[0] === '-h') {
    io.err(USAGE);
    return 1;
  }
  try {
    const aicontent = createAicontentClient({
      endpoint: env.AICONTENT_ENDPOINT || undefined,
      credentials: credentialsFromEnv(env),
      ...client,
    });
    const { job, requestId } = await aicontent.queryJob(args[0] ?? '');
    io.out(JSON.stringify({ job, requestId }, null, 2));
    return 0;
  } catch (error) {
    io.err(`error: ${describe(error)}`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const io = { out: (line: string) => console.log(line), err: (line: string) => console.error(line) };
  process.exitCode = await runQueryCli(process.argv.slice(2), process.env, io);
}
