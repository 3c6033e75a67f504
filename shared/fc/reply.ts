/**
 * What a function answers, independent of how it was called, and how that answer is rendered for
 * each kind of caller: an FC HTTP response for HTTP triggers, the bare JSON body for direct
 * invocations (so a chained function gets the same body without an HTTP envelope).
 */
import { AppError } from '#shared/errors.ts';

export interface Reply {
  statusCode: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The response struct FC's HTTP trigger expects back (docs/fc-runtime.md §2.2). */
export interface FcHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  isBase64Encoded: boolean;
  body: string;
}

export interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

/** 204 No Content: over HTTP, no body (a direct invocation still gets the reply's body). */
export function toHttpResponse(reply: Reply): FcHttpResponse {
  if (reply.statusCode === 204) {
    return { statusCode: 204, headers: { ...reply.headers }, isBase64Encoded: false, body: '' };
  }
  return {
    statusCode: reply.statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...reply.headers },
    isBase64Encoded: false,
    body: JSON.stringify(reply.body),
  };
}

/** Whole seconds for a `Retry-After` header, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * The answer for an error. Exposed errors (ours, with messages written for the caller) say what went
 * wrong; anything else becomes a bare 500 with the request id, so internals never leak.
 */
export function errorReply(error: unknown, requestId: string): Reply {
  const known = error instanceof AppError && error.expose;
  const statusCode = known ? error.statusCode : 500;
  const body: ErrorBody = {
    error: {
      code: known ? error.code : 'InternalError',
      message: known ? error.message : 'internal error',
      requestId,
    },
  };
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...(known ? error.headers : {}) };
  if (known && error.retryAfterMs !== undefined)
    headers['retry-after'] = String(retryAfterSeconds(error.retryAfterMs));
  else if (known && (statusCode === 429 || statusCode === 503)) headers['retry-after'] = '1';
  return { statusCode, body, headers };
}
