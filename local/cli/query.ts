/**
 * `npm run query -- <inferenceJobId>`: asks aicontent (or the emulator) for one job and prints the
 * normalized job as JSON. The endpoint comes from AICONTENT_ENDPOINT, the credentials from the
 * standard ALIBABA_CLOUD_* variables. Any error is one clear line on stderr and exit code 1; one that
 * reached no response names the host and what failed (ECONNREFUSED, ENOTFOUND…). `--help` prints the
 * usage and exits 0.
 */
import { pathToFileURL } from 'node:url';
import { type AicontentClientOptions, createAicontentClient } from '#shared/aicontent/client.ts';
import { AicontentError } from '#shared/aicontent/errors.ts';
import { credentialsFromEnv } from '#shared/config.ts';
import { AppError } from '#shared/errors.ts';
import { type CliIo, helpAsked, networkCause } from './cliSupport.ts';

export const USAGE = `usage: npm run query -- <inferenceJobId>

Asks aicontent for one personalized text-to-image inference job and prints it, normalized, as JSON.

  AICONTENT_ENDPOINT               host or URL (default aicontent.aliyuncs.com; the emulator:
                                   http://127.0.0.1:9100)
  ALIBABA_CLOUD_ACCESS_KEY_ID      credentials (the emulator's: LTAI5tEMULATORFAKEKEY0 /
  ALIBABA_CLOUD_ACCESS_KEY_SECRET  EmulatorFakeSecretNotARealKey000)
  ALIBABA_CLOUD_SECURITY_TOKEN     for STS credentials

Exit code 0 with the job, 1 on any error.`;

function describe(error: unknown, endpoint: URL | undefined): string {
  const host = endpoint?.host ?? 'aicontent';
  if (error instanceof AicontentError && error.kind === 'network') {
    return `cannot reach ${host}: ${networkCause(error.cause)}`;
  }
  if (error instanceof AicontentError && error.kind === 'timeout') {
    return `timed out waiting for ${host}: ${networkCause(error.cause)}`;
  }
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
  if (helpAsked(args)) {
    io.out(USAGE);
    return 0;
  }
  if (args.length !== 1) {
    io.err(USAGE);
    return 1;
  }
  let endpoint: URL | undefined;
  try {
    const aicontent = createAicontentClient({
      endpoint: env.AICONTENT_ENDPOINT || undefined,
      credentials: credentialsFromEnv(env),
      ...client,
    });
    endpoint = aicontent.endpoint;
    const { job, requestId } = await aicontent.queryJob(args[0] ?? '');
    io.out(JSON.stringify({ job, requestId }, null, 2));
    return 0;
  } catch (error) {
    io.err(`error: ${describe(error, endpoint)}`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const io = { out: (line: string) => console.log(line), err: (line: string) => console.error(line) };
  process.exitCode = await runQueryCli(process.argv.slice(2), process.env, io);
}
