/**
 * Words used across the code: a *reply* is what a function's logic returns to its caller, whatever
 * called it (`FunctionReply`); a *response* is an HTTP response. This module renders a reply for each
 * kind of caller: an FC HTTP response for HTTP triggers, the bare JSON body for direct invocations (so
 * a chained function gets the same body without an HTTP envelope).
 */
import { AppError } from '#shared/errors.ts';

/** What a function's logic returns: a status, a body, and headers for an HTTP caller. */
export interface FunctionReply {
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
export function toHttpResponse(reply: FunctionReply): FcHttpResponse {
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
 * The reply for an error. Exposed errors (ours, with messages written for the caller) say what went
 * wrong; anything else becomes a bare 500 with the request id, so internals never leak.
 */
export function errorReply(error: unknown, requestId: string): FunctionReply {
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
