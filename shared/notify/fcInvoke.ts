/**
 * FC 3.0 target: an asynchronous `InvokeFunction` (docs/fc-runtime.md §4.2), signed with our ACS3 signer
 * and the invocation's STS credentials. FC queues the event and responds 202 at once; the function runs
 * later with the notification as its event, byte for byte.
 *
 * ```
 * POST /2023-03-30/functions/{functionName}/invocations[?qualifier=…]
 * x-acs-action: InvokeFunction          x-acs-version: 2023-03-30
 * x-fc-invocation-type: Async           content-type: application/json
 * x-aicontent-jobs-idempotency-key: <jobId>:<state>
 * ```
 */
import { resolveEndpoint } from '#shared/aicontent/client.ts';
import type { CredentialsProvider } from '#shared/credentials.ts';
import { ConfigError } from '#shared/errors.ts';
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';
import { parseJsonObject } from '#shared/json.ts';
import { canonicalQuery, formatAcsDate, percentEncode, sign } from '#shared/signing/acs3.ts';
import type { Sender } from './delivery.ts';
import { httpFailure } from './notifyError.ts';
import { IDEMPOTENCY_HEADER } from './payload.ts';

const FC_API_VERSION = '2023-03-30';
/** 202 is FC's response to an accepted asynchronous invocation; 200 and 204 are taken as delivered too. */
const DELIVERED = new Set([200, 202, 204]);
/** Account ids and regions become host name labels. */
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i;

export interface FcEndpointOptions {
  accountId: string;
  region: string;
  /** The VPC-internal endpoint (the default): what a function running in the same region should use. */
  internal?: boolean | undefined;
  /** An explicit host or URL, overriding both (the local runtime: `http://127.0.0.1:9000`). */
  endpoint?: string | undefined;
}

/** `https://<accountId>.<region>[-internal].fc.aliyuncs.com`, or the explicit endpoint (`NOTIFY_FC_ENDPOINT`). */
export function fcEndpoint(options: FcEndpointOptions): URL {
  if (options.endpoint) return resolveEndpoint(options.endpoint, 'NOTIFY_FC_ENDPOINT');
  for (const [name, value] of [
    ['account id', options.accountId],
    ['region', options.region],
  ] as const) {
    if (!HOST_LABEL.test(value)) {
      throw new ConfigError(
        `the FC ${name} ${JSON.stringify(value)} cannot be part of the FC endpoint's host`,
      );
    }
  }
  const suffix = (options.internal ?? true) ? '-internal' : '';
  return new URL(`https://${options.accountId}.${options.region}${suffix}.fc.aliyuncs.com`);
}

export interface FcInvokeDeps {
  endpoint: URL;
  credentials: CredentialsProvider;
  fetch: typeof fetch;
  now: () => number;
  nonce: () => string;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * FC 3.0's error body is `{Code, Message, RequestId}`; FC 2.0's (and older gateways') is
 * `{ErrorCode, ErrorMessage, RequestId}`. Either is read; anything else is reported by status alone.
 */
function fcRefusal(target: NotifyTarget, status: number, headers: Headers, text: string) {
  // Not a JSON object (a proxy's error page, say): the status says enough.
  const body = parseJsonObject(text) ?? {};
  return httpFailure(
    target,
    status,
    {
      code: str(body.Code) ?? str(body.ErrorCode),
      message: str(body.Message) ?? str(body.ErrorMessage),
      requestId: headers.get('x-fc-request-id') ?? str(body.RequestId),
    },
    headers.get('retry-after'),
  );
}

/** One signed InvokeFunction request; a fresh date and nonce each time, so a retry is a new request. */
export const invokeFunction: Sender<'function', FcInvokeDeps> = async (
  target,
  notification,
  attempt,
  deps,
) => {
  const credentials = await deps.credentials();
  // The path is signed as sent: encoded once, here (only a migrated name's `$` changes, to %24).
  const pathname = `/${FC_API_VERSION}/functions/${percentEncode(target.name)}/invocations`;
  const query = target.qualifier === undefined ? undefined : { qualifier: target.qualifier };
  const { host: _, ...headers } = sign(
    {
      method: 'POST',
      pathname,
      query,
      headers: {
        host: deps.endpoint.host,
        'content-type': 'application/json',
        'x-acs-action': 'InvokeFunction',
        'x-acs-version': FC_API_VERSION,
        'x-fc-invocation-type': 'Async',
        [IDEMPOTENCY_HEADER]: notification.idempotencyHeader,
      },
      body: notification.body,
    },
    credentials,
    { date: formatAcsDate(new Date(deps.now())), nonce: deps.nonce() },
  ); // fetch sets Host from the URL: the same value that was signed.
  const search = canonicalQuery(query); // the signed query string, sent as it was signed
  const response = await deps.fetch(`${deps.endpoint.origin}${pathname}${search ? `?${search}` : ''}`, {
    method: 'POST',
    headers,
    body: notification.body,
    signal: attempt.signal,
    redirect: 'manual',
  });
  const text = await response.text();
  if (!DELIVERED.has(response.status)) throw fcRefusal(target, response.status, response.headers, text);
};
