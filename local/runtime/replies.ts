/**
 * The runtime's HTTP answers: FC's API errors, invocation results and errors, and the writing of any
 * of them to the socket (every answer carries `x-fc-request-id`).
 *
 * Statuses (FC documents some of these for the 2.0 API and HTTP functions; the rest are our choice):
 * - API errors `{ErrorCode, ErrorMessage, RequestId}`: 400 InvalidArgument (header or path limits, bad
 *   path), 403 for any failed signature check, 404 FunctionNotFound / TriggerNotFound / PathNotSupported,
 *   405 MethodNotAllowed, 413 EntityTooLarge, 500 InternalError (the credentials source failed);
 * - a direct invocation: 200 with the result; a failed one is still 200, with `x-fc-error-type:
 *   UnhandledInvocationError` and FC's error body `{errorMessage, errorType, stackTrace}`;
 * - `x-fc-invocation-type: Async`: 202 with no body, the invocation runs afterwards.
 */
import type { ServerResponse } from 'node:http';
import { type InvocationError, type InvocationOutcome, resultPayload } from './outcome.ts';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const ERROR_TYPE_HEADER = 'x-fc-error-type';
const UNHANDLED_INVOCATION_ERROR = 'UnhandledInvocationError';

export function apiError(status: number, code: string, message: string, requestId: string): Reply {
  return {
    status,
    headers: { 'content-type': JSON_TYPE },
    body: JSON.stringify({ ErrorCode: code, ErrorMessage: message, RequestId: requestId }),
  };
}

export function invocationErrorReply(status: number, error: InvocationError): Reply {
  return {
    status,
    headers: { 'content-type': JSON_TYPE, [ERROR_TYPE_HEADER]: UNHANDLED_INVOCATION_ERROR },
    body: JSON.stringify(error),
  };
}

export function directInvocationReply(outcome: InvocationOutcome): Reply {
  if (!outcome.ok) return invocationErrorReply(200, outcome.error);
  const { body, contentType } = resultPayload(outcome.result);
  return { status: 200, headers: contentType ? { 'content-type': contentType } : {}, body };
}

export const ACCEPTED: Reply = { status: 202, headers: {}, body: '' };

export function withHeaders(reply: Reply, headers: Record<string, string>): Reply {
  return { ...reply, headers: { ...reply.headers, ...headers } };
}

/** Statuses that carry no body, so no content-length either (RFC 9110 §8.6). */
const BODILESS = new Set([204, 304]);

export function send(response: ServerResponse, reply: Reply, requestId: string): void {
  const length = BODILESS.has(reply.status)
    ? {}
    : { 'content-length': String(Buffer.byteLength(reply.body)) };
  response.writeHead(reply.status, { ...reply.headers, ...length, 'x-fc-request-id': requestId });
  response.end(reply.body);
}
