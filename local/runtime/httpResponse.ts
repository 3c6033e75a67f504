/**
 * Turns what a function returned for an HTTP trigger event into the HTTP response, as FC does
 * (docs/fc-runtime.md §2.2):
 *
 * - `{statusCode, headers?, body?, isBase64Encoded?}` is the response (a body must be a string; base64
 *   when `isBase64Encoded`); header values are sent as text, one value per name;
 * - for other returns FC's behaviour is unconfirmed; our choice: an object (or number, boolean, null)
 *   → 200 JSON, a string → 200 text/plain, a Buffer → 200 application/octet-stream, nothing → 200 empty;
 * - headers a function may not set are dropped (`x-fc-*`, connection, content-length, date, keep-alive,
 *   server); response headers over 8 KB, a header Node cannot send, or a malformed response object →
 *   502 BadResponse;
 * - a function that threw or timed out → 502 with `x-fc-error-type: UnhandledInvocationError` and
 *   FC's error body (FC's status for HTTP functions).
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { InvocationOutcome } from './outcome.ts';
import {
  apiError,
  directInvocationResponse,
  invocationErrorResponse,
  type RuntimeResponse,
} from './responses.ts';

export const MAX_RESPONSE_HEADER_BYTES = 8 * 1024;

const FORBIDDEN_HEADERS = new Set(['connection', 'content-length', 'date', 'keep-alive', 'server']);

export function httpTriggerResponse(outcome: InvocationOutcome): RuntimeResponse {
  if (!outcome.ok) return invocationErrorResponse(502, outcome.error);
  const { result, requestId } = outcome;
  const value: unknown = result.type === 'json' ? JSON.parse(result.json) : undefined;
  if (!isResponseObject(value)) return directInvocationResponse(outcome);

  const badResponse = (why: string) => apiError(502, 'BadResponse', why, requestId);
  const { statusCode, headers = {}, body = '', isBase64Encoded = false } = value;
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return badResponse(
      `statusCode must be a whole number from 100 to 599, not ${JSON.stringify(statusCode)}`,
    );
  }
  if (typeof body !== 'string') {
    return badResponse('body must be a string (base64 with isBase64Encoded for bytes)');
  }
  if (headers === null || typeof headers !== 'object') return badResponse('headers must be an object');

  const allowed: Record<string, string> = {};
  let size = 0;
  for (const [name, headerValue] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (FORBIDDEN_HEADERS.has(lower) || lower.startsWith('x-fc-')) continue;
    const text = String(headerValue);
    try {
      validateHeaderName(lower);
      validateHeaderValue(lower, text);
    } catch (error) {
      return badResponse(`bad response header ${JSON.stringify(name)}: ${(error as Error).message}`);
    }
    allowed[lower] = text;
    size += lower.length + text.length;
  }
  if (size > MAX_RESPONSE_HEADER_BYTES) {
    return badResponse(`the response headers take ${size} bytes, over FC's ${MAX_RESPONSE_HEADER_BYTES}`);
  }
  return {
    status: statusCode,
    headers: allowed,
    body: isBase64Encoded === true ? Buffer.from(body, 'base64') : body,
  };
}

interface ResponseObject {
  statusCode: number;
  headers?: unknown;
  body?: unknown;
  isBase64Encoded?: unknown;
}

function isResponseObject(value: unknown): value is ResponseObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'statusCode' in value;
}
