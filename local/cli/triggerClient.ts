/**
 * Calls an HTTP trigger with `authType: function`: the request signed as FC checks it
 * (`signHttpTriggerRequest`), sent with `fetch`, the response read whole. For the command-line tools that
 * talk to a deployment (`npm run call`, `npm run jobs`, the console's server) and to `npm start` with
 * `HTTP_AUTH_TYPE=function`.
 *
 * A request with credentials goes over `https:`, or over `http:` to this machine only (127.0.0.0/8,
 * ::1, localhost): a signed request read on the way could be replayed for 15 minutes, and an STS
 * token would travel with it.
 */
import { isIP } from 'node:net';
import { credentialsFromEnv } from '#shared/config.ts';
import type { CredentialsProvider } from '#shared/credentials.ts';
import { AppError } from '#shared/errors.ts';
import { signHttpTriggerRequest } from '#shared/signing/httpTrigger.ts';
import { networkCause } from './cliSupport.ts';

export interface TriggerCall {
  method: string;
  url: URL;
  /** Sent as is; JSON gets `content-type: application/json`. */
  body?: string | undefined;
  contentType?: string | undefined;
}

export interface TriggerResponse {
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
}

export interface TriggerClientOptions {
  /** Signs every request; none: sent unsigned (a trigger on this machine with `authType: anonymous`). */
  credentials: CredentialsProvider | undefined;
  fetch?: typeof fetch;
  now?: () => Date;
  /** Longest wait for the whole response; default 30 s. */
  timeoutMs?: number;
}

/** No response: the host could not be reached, or did not respond in time. */
export class TriggerUnreachableError extends AppError {
  override name = 'TriggerUnreachableError';
  constructor(message: string, cause: unknown) {
    super('TriggerUnreachable', message, { statusCode: 502, cause });
  }
}

/** A URL this client will not send credentials to. */
export class TriggerUrlError extends AppError {
  override name = 'TriggerUrlError';
  constructor(message: string) {
    super('InvalidTriggerUrl', message, { statusCode: 400 });
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The headers that sign a request to `url` (its method and URL as sent), from fresh credentials. */
export async function triggerSignature(
  method: string,
  url: URL,
  credentials: CredentialsProvider,
  now: () => Date = () => new Date(),
): Promise<Record<string, string>> {
  checkTriggerUrl(url);
  return signHttpTriggerRequest(method, url, await credentials(), now());
}

/**
 * The credentials for calls to `url`: the `ALIBABA_CLOUD_*` variables' when set; none (unsigned) to this
 * machine without them; without them elsewhere, a `TriggerUrlError` that says what to set.
 */
export function triggerCredentials(url: URL, env: NodeJS.ProcessEnv): CredentialsProvider | undefined {
  if (env.ALIBABA_CLOUD_ACCESS_KEY_ID || env.ALIBABA_CLOUD_ACCESS_KEY_SECRET) return credentialsFromEnv(env);
  if (isLoopback(url.hostname)) return undefined;
  throw new TriggerUrlError(
    `${url.host} takes signed requests: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET ` +
      '(and ALIBABA_CLOUD_SECURITY_TOKEN for STS credentials)',
  );
}

export async function callTrigger(
  call: TriggerCall,
  options: TriggerClientOptions,
): Promise<TriggerResponse> {
  checkTriggerUrl(call.url);
  const signed = options.credentials
    ? await triggerSignature(call.method, call.url, options.credentials, options.now)
    : {};
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const headers = call.contentType ? { ...signed, 'content-type': call.contentType } : signed;
  try {
    const response = await (options.fetch ?? fetch)(call.url, {
      method: call.method,
      headers,
      body: call.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return { status: response.status, statusText: response.statusText, headers: response.headers, text };
  } catch (error) {
    throw new TriggerUnreachableError(unreachable(call.url, error, timeoutMs), error);
  }
}

/** `https:`, or `http:` to a loopback host. */
export function checkTriggerUrl(url: URL): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return;
  throw new TriggerUrlError(
    url.protocol === 'http:'
      ? `refusing to send a signed request over http to ${url.host}: use https (http is for this machine only)`
      : `${url.protocol} is not a trigger URL: use https://…`,
  );
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** `cannot reach <host>: <cause>`, the cause being the socket's error (ECONNREFUSED…) that fetch wraps. */
function unreachable(url: URL, error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer from ${url.host} within ${timeoutMs / 1000} s`;
  }
  return `cannot reach ${url.host}: ${networkCause(error)}`;
}
