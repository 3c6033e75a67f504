/**
 * The `context` FC 3.0 hands a Node.js handler (docs/fc-runtime.md §5), what we add to it, and the two
 * things we derive from it: the invocation's credentials and its deadline.
 */
import type { CredentialsProvider } from '#shared/credentials.ts';
import { ConfigError } from '#shared/errors.ts';

export interface FcCredentials {
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
}

export interface FcContext {
  requestId: string;
  /** STS credentials of the function's role; `{}` when the function has no role. They rotate. */
  credentials: FcCredentials;
  function: { name: string; handler: string; memory: number; timeout: number };
  service?: { logProject?: string; logStore?: string; qualifier?: string; versionId?: string };
  region: string;
  accountId: string;
  retryCount?: number;
  logger?: unknown;
  tracing?: unknown;
}

/** What `createFcHandler` adds at the start of each invocation. */
export interface InvocationContext extends FcContext {
  /** Epoch ms at which FC stops this invocation (start + `function.timeout`). */
  deadline: number;
  /** For middy's early-timeout abort, which FC's context lacks (FC has no such method). */
  getRemainingTimeInMillis(): number;
}

/**
 * A provider reading *this* invocation's `context.credentials` each time it is asked. It must be
 * built per invocation, never kept at module scope: FC rotates the STS credentials.
 */
export function credentialsFromContext(context: Pick<FcContext, 'credentials'>): CredentialsProvider {
  return () => {
    const { accessKeyId, accessKeySecret, securityToken } = context.credentials ?? {};
    if (!accessKeyId || !accessKeySecret) {
      throw new ConfigError(
        'the invocation has no credentials: give the function a RAM role (`role` in s.yaml) allowed to call aicontent',
      );
    }
    return { accessKeyId, accessKeySecret, securityToken: securityToken || undefined };
  };
}

/** FC's default when a function sets no timeout. */
const DEFAULT_TIMEOUT_SECONDS = 3;

/**
 * Adds the deadline: FC has no `getRemainingTimeInMillis`, so it is computed from the function's
 * timeout and the moment the invocation started (queueing time before that is not counted).
 */
export function withDeadline(
  context: FcContext,
  startedAt: number,
  now: () => number = Date.now,
): InvocationContext {
  const timeout = Number(context.function?.timeout);
  const seconds = Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_TIMEOUT_SECONDS;
  const deadline = startedAt + seconds * 1000;
  return { ...context, deadline, getRemainingTimeInMillis: () => deadline - now() };
}
