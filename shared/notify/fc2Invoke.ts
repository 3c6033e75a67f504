/**
 * FC 2.0 target: a function in an FC 2.0 service, invoked asynchronously through `@alicloud/fc2`
 * (docs/fc-runtime.md §4.3), which sends
 * `POST /2016-08-15/services/{service[.qualifier]}/functions/{name}/invocations` with its own `FC ak:sig`
 * signature.
 *
 * The client is built into the FC Node.js runtimes, so it is not bundled (scripts/build.ts keeps it
 * external) but loaded when first needed, with `require`: the runtime makes its built-in modules
 * findable through NODE_PATH, which `require` searches and `import()` ignores.
 */
import { createRequire } from 'node:module';
import { untilAborted } from '#shared/abort.ts';
import type { CredentialsProvider } from '#shared/credentials.ts';
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';
import type { Sender } from './delivery.ts';
import { httpFailure, transportFailure } from './notifyError.ts';
import { IDEMPOTENCY_HEADER } from './payload.ts';

/** The `new FCClient(accountId, config)` settings we use. */
export interface Fc2ClientConfig {
  accessKeyID: string;
  accessKeySecret: string;
  /** Sent (as `x-fc-security-token`) when the AccessKey id starts with `STS.`, as FC's do. */
  securityToken?: string | undefined;
  region: string;
  /** `<account>.<region>-internal.fc.aliyuncs.com` rather than the public host. */
  internal: boolean;
  /** HTTPS (fc2's default is plain HTTP). */
  secure: true;
  /** A full URL overriding the computed one. */
  endpoint?: string | undefined;
  /** Per request (ms); fc2's default is 60 s. */
  timeout: number;
}

/** The part of fc2's client we use: `invokeFunction(service, name, event, headers, qualifier)`. */
export interface Fc2Client {
  invokeFunction(
    serviceName: string,
    functionName: string,
    event: string,
    headers: Record<string, string>,
    qualifier?: string,
  ): Promise<unknown>;
}

export type Fc2ClientFactory = (accountId: string, config: Fc2ClientConfig) => Fc2Client;

/** The runtime's `@alicloud/fc2` client (loaded on first use; `require` caches it). */
export const fc2Client: Fc2ClientFactory = (accountId, config) => {
  const FCClient = createRequire(import.meta.url)('@alicloud/fc2') as new (
    accountId: string,
    config: Fc2ClientConfig,
  ) => Fc2Client;
  return new FCClient(accountId, config);
};

export interface Fc2InvokeDeps {
  accountId: string;
  region: string;
  internal: boolean;
  /** An explicit endpoint (`NOTIFY_FC_ENDPOINT`); fc2 computes the FC host otherwise. */
  endpoint?: URL | undefined;
  credentials: CredentialsProvider;
  createClient: Fc2ClientFactory;
}

/** fc2 reports an HTTP refusal only in its message: `… failed with 404. requestid: R, message: M.` */
const HTTP_REFUSAL = /failed with (\d{3})\. requestid: ([^,]*), message: (.*)\.$/s;

function given(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === 'undefined' ? undefined : value;
}

/** fc2's errors, read: a refusal keeps FC's code; a timeout is ours; anything else is left to `deliver`. */
function fc2Failure(target: NotifyTarget, error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (error.name === 'RequestTimeoutError') return transportFailure(target, 'timeout', error);
  const refusal = HTTP_REFUSAL.exec(error.message);
  if (!refusal) return error;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  return httpFailure(target, Number(refusal[1]), {
    code: given(code),
    requestId: given(refusal[2]),
    message: given(refusal[3]),
  });
}

/** One asynchronous invocation, with a client built for this attempt's credentials. */
export const invokeFc2: Sender<'fc2', Fc2InvokeDeps> = async (target, notification, attempt, deps) => {
  const credentials = await deps.credentials();
  const client = deps.createClient(deps.accountId, {
    accessKeyID: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
    securityToken: credentials.securityToken,
    region: deps.region,
    internal: deps.internal,
    secure: true,
    endpoint: deps.endpoint?.origin,
    timeout: Math.ceil(attempt.timeoutMs),
  });
  const headers = {
    'x-fc-invocation-type': 'Async',
    [IDEMPOTENCY_HEADER]: notification.idempotencyHeader,
  };
  try {
    // fc2 takes no abort signal: its own timeout ends the request, the race ends the wait for it.
    await untilAborted(
      client.invokeFunction(target.service, target.name, notification.body, headers, target.qualifier),
      attempt.signal,
    );
  } catch (error) {
    throw fc2Failure(target, error);
  }
};
