import { callTrigger } from '#local/cli/triggerClient.ts';
import type { JobSpec } from '#local/emulator/jobSpec.ts';
import type { LocalStack, LocalStackOptions } from '#local/stack.ts';
import { startTestStack } from '#test/helpers/testStack.ts';

export type Fate = 'succeeded' | 'failed' | 'gaveUp' | 'throttled';

const SPECS: Record<Fate, JobSpec> = {
  succeeded: { schedule: { waitScheduleMs: 0, inferringMs: 0 } },
  failed: { schedule: { waitScheduleMs: 0, inferringMs: 0, outcome: 'OOM' } },
  gaveUp: { schedule: { outcome: 'NEVER' } },
  // Its first two queries throttled: the one POST /jobs asks before tracking it, and its first poll.
  throttled: { schedule: { outcome: 'NEVER' }, faults: { throttle: 2 } },
};

/** How long aicontent asks a throttled poll to wait: longer than any test. */
const THROTTLED_RETRY_AFTER_MS = 300_000;

export interface SweptStack {
  stack: LocalStack;
  /** The query function's trigger. */
  url: string;
  /** The jobs of each fate, in the order they were tracked. */
  ids: Record<Fate, string[]>;
  /** An operator API call (signed when the trigger wants it); rejects unless 2xx. */
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Credentials for the trigger: the local AccessKey, or none when it takes unsigned calls. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startSweptStack(
  counts: Record<Fate, number>,
  options: Partial<LocalStackOptions> = {},
): Promise<SweptStack> {
  const stack = await startTestStack('swept-stack', {
    ...options,
    emulator: { faults: { throttle: { count: 0, retryAfterMs: THROTTLED_RETRY_AFTER_MS } } },
    env: {
      POLL_INTERVAL_SECONDS: '1',
      MAX_POLL_INTERVAL_SECONDS: '600',
      POLL_JITTER: 'none',
      MAX_POLL_ATTEMPTS: '2',
      AICONTENT_MAX_ATTEMPTS: '1',
      ...options.env,
    },
  });
  const url = stack.runtime.url;
  const env: NodeJS.ProcessEnv =
    stack.httpAuthType === 'function'
      ? {
          ALIBABA_CLOUD_ACCESS_KEY_ID: stack.emulator.accessKeyId,
          ALIBABA_CLOUD_ACCESS_KEY_SECRET: stack.emulator.accessKeySecret,
        }
      : {};
  const credentials =
    stack.httpAuthType === 'function'
      ? () => ({ accessKeyId: stack.emulator.accessKeyId, accessKeySecret: stack.emulator.accessKeySecret })
      : undefined;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await callTrigger(
      {
        method,
        url: new URL(`${url}${path}`),
        body: body === undefined ? undefined : JSON.stringify(body),
        contentType: body === undefined ? undefined : 'application/json',
      },
      { credentials },
    );
    if (response.status < 200 || response.status > 299) {
      throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
    }
    return (response.text ? JSON.parse(response.text) : undefined) as T;
  }

  const ids: Record<Fate, string[]> = { succeeded: [], failed: [], gaveUp: [], throttled: [] };
  const track = async (fate: Fate) => {
    for (let i = 0; i < counts[fate]; i++) {
      const id = stack.emulator.createJob(SPECS[fate]);
      await call('POST', '/jobs', { inferenceJobId: id });
      ids[fate].push(id);
    }
  };
  const sweep = async () => {
    const outcome = await stack.runtime.fireTimer('aicontent-jobs-sweeper', 'sweep');
    if (!outcome?.ok) throw new Error(`the sweep failed: ${JSON.stringify(outcome)}`);
  };
  try {
    // First sweep: the quick ones end, the never-ending ones are polled once (MAX_POLL_ATTEMPTS is 2).
    for (const fate of ['succeeded', 'failed', 'gaveUp'] as const) await track(fate);
    await sweep();
    // Second sweep, a poll interval later: those are given up; the throttled ones, tracked now, wait.
    await track('throttled');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await sweep();
  } catch (error) {
    await stack.close();
    throw error;
  }
  return { stack, url, ids, call, env, close: () => stack.close() };
}
