/**
 * The aicontent client: one signed, retried, deadline-bound call,
 * `PersonalizedTextToImageQueryPreModelInferenceJobInfo`, returning a normalized `Job`.
 *
 * Retries cover only what a repeat of this idempotent GET can fix (throttling, unavailable, 5xx,
 * dropped connections, garbled bodies), each attempt signed afresh (new date, new nonce), with
 * full-jitter backoff that honours `x-acs-retry-after` and never runs past the caller's deadline. The
 * server's wait is bounded (`maxRetryAfterMs`), and one longer than the backoff's cap ends the call at
 * once, leaving the wait to the caller (the error's `retryAfterMs`).
 * A rejected security token asks the credentials provider for fresh credentials once.
 */
import { randomUUID } from 'node:crypto';
import { type BackoffPolicy, backoffDelay, exceedsCap } from '#shared/backoff.ts';
import type { CredentialsProvider } from '#shared/credentials.ts';
import { ConfigError } from '#shared/errors.ts';
import { parseJsonObject } from '#shared/json.ts';
import { retryAfterMs } from '#shared/retryAfter.ts';
import {
  type Credentials,
  formatAcsDate,
  percentEncode,
  type SigningParams,
  sign,
} from '#shared/signing/acs3.ts';
import { AicontentError, type AicontentErrorDetails } from './errors.ts';
import { type Job, parseJob, validateJobId } from './job.ts';
import { nodeTransport, type Transport, type TransportResponse, TransportTimeoutError } from './transport.ts';

export const DEFAULT_ENDPOINT = 'aicontent.aliyuncs.com';
const API_VERSION = '20240611';
const QUERY_ACTION = 'PersonalizedTextToImageQueryPreModelInferenceJobInfo';
const QUERY_PATH = '/api/v1/personalizedtxt2img/queryPreModelInferenceJobInfo';

export interface RetryPolicy extends BackoffPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseMs: 100, capMs: 2_000, factor: 2 };

/**
 * The longest `x-acs-retry-after` taken from aicontent when the caller sets no bound: 5 minutes, the
 * sweeper's default `MAX_POLL_INTERVAL_SECONDS`. It is also the longest `Retry-After` the query
 * function passes on to its callers.
 */
export const DEFAULT_MAX_RETRY_AFTER_MS = 300_000;

export interface AicontentClientOptions {
  credentials: CredentialsProvider;
  /** Host (HTTPS implied) or full URL, e.g. `http://127.0.0.1:9100` for the emulator. */
  endpoint?: string | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  /** Longest wait for one attempt; the caller's deadline can cut it shorter. */
  attemptTimeoutMs?: number | undefined;
  /**
   * The longest `x-acs-retry-after` believed (ms); a longer one is cut to it. Default
   * `DEFAULT_MAX_RETRY_AFTER_MS`; the sweeper passes `MAX_POLL_INTERVAL_SECONDS`.
   */
  maxRetryAfterMs?: number | undefined;
  /** Sends one request; default our keep-alive HTTP/1.1 client (see transport.ts). */
  transport?: Transport;
  now?: () => number;
  random?: () => number;
  nonce?: () => string;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface QueryOptions {
  /** Abort the whole call, retries included. */
  signal?: AbortSignal | undefined;
  /** Absolute time (epoch ms) after which no attempt starts and no wait ends. */
  deadline?: number | undefined;
}

export interface QueryResult {
  job: Job;
  requestId: string | undefined;
  /** How many requests it took (retries and the credentials refresh included). */
  attempts: number;
}

export interface AicontentClient {
  readonly endpoint: URL;
  queryJob(inferenceJobId: string, options?: QueryOptions): Promise<QueryResult>;
}

/**
 * `aicontent.aliyuncs.com` → `https://aicontent.aliyuncs.com`; an explicit scheme is kept. `variable`
 * names the setting in error messages.
 */
export function resolveEndpoint(endpoint: string = DEFAULT_ENDPOINT, variable = 'AICONTENT_ENDPOINT'): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`${variable} is not a host or URL: ${JSON.stringify(endpoint)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`${variable} must be http(s), got ${url.protocol}`);
  }
  return url;
}

function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Reads one response: a job, or the error it describes (its `x-acs-retry-after` at most `maxRetryAfterMs`). */
export function readResponse(
  status: number,
  header: TransportResponse['header'],
  text: string,
  jobId: string,
  maxRetryAfterMs = DEFAULT_MAX_RETRY_AFTER_MS,
): QueryResult['job'] {
  const base = {
    httpStatus: status,
    requestId: header('x-acs-request-id'),
    retryAfterMs: retryAfterMs(header('x-acs-retry-after'), { unit: 'milliseconds', maxMs: maxRetryAfterMs }),
  };
  const body = parseJsonObject(text);
  if (!body) {
    throw new AicontentError({ ...base, kind: status >= 400 ? 'gateway' : 'malformed' });
  }
  const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const requestId = base.requestId ?? str(body.RequestId) ?? str(body.requestId);
  if (str(body.Code)) {
    throw new AicontentError({
      ...base,
      requestId,
      kind: 'gateway',
      code: str(body.Code),
      errMessage: str(body.Message),
    });
  }
  if (body.success !== true || status >= 400) {
    const details: AicontentErrorDetails = {
      ...base,
      requestId,
      kind: str(body.errCode) || status >= 400 ? 'business' : 'malformed',
      errCode: str(body.errCode),
      errMessage: str(body.errMessage),
    };
    throw new AicontentError(details);
  }
  if (typeof body.data !== 'object' || body.data === null) {
    throw new AicontentError({ ...base, requestId, kind: 'malformed' });
  }
  return parseJob(body.data, jobId);
}

/** 32 hex digits, like the official client's; randomUUID draws from a cached entropy pool (cheap). */
export function randomNonce(): string {
  return randomUUID().replaceAll('-', '');
}

/**
 * The query request for one job, signed: the path (with its query string) and the headers to send.
 * The transport writes `host` from the origin: the same value that was signed.
 */
export function signedQuery(
  endpoint: URL,
  jobId: string,
  credentials: Credentials,
  params: SigningParams,
): { path: string; headers: Record<string, string> } {
  const headers = sign(
    {
      method: 'GET',
      pathname: QUERY_PATH,
      query: { inferenceJobId: jobId },
      headers: { host: endpoint.host, 'x-acs-action': QUERY_ACTION, 'x-acs-version': API_VERSION },
    },
    credentials,
    params,
  );
  headers.accept = 'application/json';
  return { path: `${QUERY_PATH}?inferenceJobId=${percentEncode(jobId)}`, headers };
}

function transportError(error: unknown, timedOut: boolean): AicontentError {
  if (error instanceof AicontentError) return error;
  return new AicontentError({ kind: timedOut ? 'timeout' : 'network', cause: error });
}

export function createAicontentClient(options: AicontentClientOptions): AicontentClient {
  const endpoint = resolveEndpoint(options.endpoint);
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const transport = options.transport ?? nodeTransport;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const nonce = options.nonce ?? randomNonce;
  const sleep = options.sleep ?? sleepFor;

  /** One signed request, bounded by the attempt timeout and the caller's deadline and signal. */
  async function send(jobId: string, refreshCredentials: boolean, call: QueryOptions) {
    const credentials = await options.credentials(refreshCredentials ? { refresh: true } : undefined);
    const signed = () =>
      signedQuery(endpoint, jobId, credentials, { date: formatAcsDate(new Date(now())), nonce: nonce() });
    // Signed now (a request that cannot be signed fails here, not as a network error), and afresh for
    // each later write: a request the transport sends again (the server closed a kept-alive connection)
    // gets a new date and nonce, as the gateway refuses a nonce it has seen.
    const { path, headers: firstHeaders } = signed();
    let first: Record<string, string> | undefined = firstHeaders;
    const headers = () => {
      const next = first ?? signed().headers;
      first = undefined;
      return next;
    };
    const budget = Math.min(attemptTimeoutMs, (call.deadline ?? Number.POSITIVE_INFINITY) - now());
    const timeoutMs = Math.max(1, budget);
    try {
      const response = await transport({ origin: endpoint, path, headers, timeoutMs, signal: call.signal });
      return {
        job: readResponse(response.status, response.header, response.text, jobId, maxRetryAfterMs),
        requestId: response.header('x-acs-request-id'),
      };
    } catch (error) {
      throw transportError(error, error instanceof TransportTimeoutError || call.signal?.aborted === true);
    }
  }

  async function queryJob(inferenceJobId: string, call: QueryOptions = {}): Promise<QueryResult> {
    const jobId = validateJobId(inferenceJobId);
    const deadline = call.deadline ?? Number.POSITIVE_INFINITY;
    let refreshCredentials = false;
    let refreshed = false;
    let failures = 0;
    for (let attempts = 1; ; attempts++) {
      try {
        return { ...(await send(jobId, refreshCredentials, call)), attempts };
      } catch (error) {
        if (!(error instanceof AicontentError) || call.signal?.aborted) throw error;
        // The first refusal of the token: ask for fresh credentials once, and try again right away.
        refreshCredentials = error.credentialsRejected && !refreshed;
        if (refreshCredentials) {
          refreshed = true;
          continue;
        }
        failures++;
        if (!error.retryable || failures >= retry.maxAttempts || exceedsCap(retry, error.retryAfterMs)) {
          throw error;
        }
        const delay = backoffDelay(failures, retry, random, error.retryAfterMs);
        if (now() + delay >= deadline) throw error;
        await sleep(delay, call.signal);
      }
    }
  }

  return { endpoint, queryJob };
}
