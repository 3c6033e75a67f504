/**
 * FC's request limits (docs/fc-runtime.md §6), checked where it is cheap: before the body is read.
 */
import type { IncomingMessage } from 'node:http';

export const MAX_REQUEST_HEADER_BYTES = 8 * 1024;
export const MAX_PATH_BYTES = 4 * 1024;
export const MAX_SYNC_BODY_BYTES = 32 * 1024 * 1024;
export const MAX_ASYNC_BODY_BYTES = 128 * 1024;

/** Why the request line or headers break a limit, or undefined. */
export function requestLimitViolation(request: IncomingMessage): string | undefined {
  const pathBytes = Buffer.byteLength(request.url ?? '');
  if (pathBytes > MAX_PATH_BYTES) {
    return `the path and query take ${pathBytes} bytes, over FC's ${MAX_PATH_BYTES}`;
  }
  let headerBytes = 0;
  for (const item of request.rawHeaders) headerBytes += Buffer.byteLength(item);
  if (headerBytes > MAX_REQUEST_HEADER_BYTES) {
    return `the request headers take ${headerBytes} bytes, over FC's ${MAX_REQUEST_HEADER_BYTES}`;
  }
  return undefined;
}

export function isAsyncInvocation(request: IncomingMessage): boolean {
  return String(request.headers['x-fc-invocation-type'] ?? '').toLowerCase() === 'async';
}

/** `x-fc-log-type: Tail`: the caller wants the end of the invocation's log (`x-fc-log-result`). */
export function wantsLogTail(request: IncomingMessage): boolean {
  return String(request.headers['x-fc-log-type'] ?? '').toLowerCase() === 'tail';
}

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/** The whole body, refused (without reading the rest) once it passes the sync or async payload limit. */
export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const maxBytes = isAsyncInvocation(request) ? MAX_ASYNC_BODY_BYTES : MAX_SYNC_BODY_BYTES;
  const tooLarge = () =>
    new BodyTooLargeError(`payload size exceeds maximum allowed size (${maxBytes} bytes)`);
  if (Number(request.headers['content-length'] ?? 0) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
