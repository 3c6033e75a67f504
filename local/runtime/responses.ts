/**
 * The runtime's HTTP responses: FC's API errors, invocation results and errors, and the writing of any
 * of them to the socket (every response carries `x-fc-request-id`).
 *
 * Statuses and codes are FC's (its error code table, https://www.alibabacloud.com/help/en/functioncompute/error-codes,
 * and its HTTP trigger troubleshooting page); where it says nothing, the choice is ours:
 * - API errors are FC 3.0's `{Code, Message, RequestId}` (what the official FC 3.0 SDK reads); the FC 2.0
 *   path responds with 2.0's `{ErrorCode, ErrorMessage, RequestId}`, which `@alicloud/fc2` reads (`fc2Dialect`).
 *   400 InvalidArgument (header or path limits, bad path), MissingRequiredHeader (an unsigned request
 *   to a signed path), PathNotSupported (no function at the root; a method an invoke path does not
 *   take), EntityTooLarge; 403 for a failed signature check and for a method the HTTP trigger does not
 *   list; 404 FunctionNotFound / TriggerNotFound; 500 InternalServerError (the credentials source
 *   failed); 502 BadResponse. Their messages never carry a token or signature (`maskSecrets`);
 * - a direct invocation: 200 with the result; a failed one is still 200, with `x-fc-error-type:
 *   UnhandledInvocationError` and FC's error body `{errorMessage, errorType, stackTrace}`;
 * - `x-fc-invocation-type: Async`: 202 with no body, the invocation runs afterwards.
 */
import type { ServerResponse } from 'node:http';
import { maskSecrets } from '#shared/log.ts';
import { type InvocationError, type InvocationOutcome, resultPayload } from './outcome.ts';

/** What the local runtime writes back for one request. */
export interface RuntimeResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const ERROR_TYPE_HEADER = 'x-fc-error-type';
const UNHANDLED_INVOCATION_ERROR = 'UnhandledInvocationError';

/** An API error: the response, and what it says, to render in the FC 2.0 dialect where needed. */
export interface ApiErrorResponse extends RuntimeResponse {
  error: { code: string; message: string; requestId: string };
}

export function apiError(status: number, code: string, message: string, requestId: string): ApiErrorResponse {
  const error = { code, message: maskSecrets(message), requestId };
  return {
    status,
    headers: { 'content-type': JSON_TYPE },
    body: JSON.stringify({ Code: error.code, Message: error.message, RequestId: error.requestId }),
    error,
  };
}

/** The same response as the FC 2.0 API words it: `{ErrorCode, ErrorMessage, RequestId}` for an API error. */
export function fc2Dialect(response: RuntimeResponse): RuntimeResponse {
  if (!('error' in response)) return response;
  const { code, message, requestId } = (response as ApiErrorResponse).error;
  return {
    status: response.status,
    headers: response.headers,
    body: JSON.stringify({ ErrorCode: code, ErrorMessage: message, RequestId: requestId }),
  };
}

export function invocationErrorResponse(status: number, error: InvocationError): RuntimeResponse {
  return {
    status,
    headers: { 'content-type': JSON_TYPE, [ERROR_TYPE_HEADER]: UNHANDLED_INVOCATION_ERROR },
    body: JSON.stringify(error),
  };
}

export function directInvocationResponse(outcome: InvocationOutcome): RuntimeResponse {
  if (!outcome.ok) return invocationErrorResponse(200, outcome.error);
  const { body, contentType } = resultPayload(outcome.result);
  return { status: 200, headers: contentType ? { 'content-type': contentType } : {}, body };
}

export const ACCEPTED: RuntimeResponse = { status: 202, headers: {}, body: '' };

export function withHeaders(response: RuntimeResponse, headers: Record<string, string>): RuntimeResponse {
  return { ...response, headers: { ...response.headers, ...headers } };
}

/** Statuses that carry no body, so no content-length either (RFC 9110 §8.6). */
const BODILESS = new Set([204, 304]);

export function send(socket: ServerResponse, response: RuntimeResponse, requestId: string): void {
  const length = BODILESS.has(response.status)
    ? {}
    : { 'content-length': String(Buffer.byteLength(response.body)) };
  socket.writeHead(response.status, { ...response.headers, ...length, 'x-fc-request-id': requestId });
  socket.end(response.body);
}
