/**
 * What one invocation ends with, as plain data that crosses from a function's worker to the runtime.
 */

/**
 * The handler's return value, serialised as FC does for a direct invocation (docs/fc-runtime.md §1.1):
 * a Buffer (or any Uint8Array) as bytes, a string as text, `undefined` as nothing, and anything else
 * as JSON (numbers and booleans print the same either way).
 */
export type HandlerResult =
  | { type: 'json'; json: string }
  | { type: 'text'; text: string }
  | { type: 'bytes'; bytes: Uint8Array }
  | { type: 'none' };

/** FC's error body: `{errorMessage, errorType, stackTrace}`; a timeout has only the message. */
export interface InvocationError {
  errorMessage: string;
  errorType?: string;
  stackTrace?: string[];
}

/** `logs`: the end of what the function printed during the invocation (none after a timeout or crash). */
export type InvocationOutcome =
  | { requestId: string; ok: true; result: HandlerResult; logs?: string }
  | { requestId: string; ok: false; error: InvocationError; logs?: string };

/** FC's log tail (`x-fc-log-result`): the last 4 KB of the invocation's log, framed as FC frames it. */
export const LOG_TAIL_BYTES = 4096;

export function logTail(outcome: InvocationOutcome): string {
  const { requestId } = outcome;
  const log = Buffer.from(
    `FC Invoke Start RequestId: ${requestId}\n${outcome.logs ?? ''}FC Invoke End RequestId: ${requestId}\n`,
  );
  return log.subarray(Math.max(0, log.length - LOG_TAIL_BYTES)).toString('base64');
}

/** The bytes a direct invocation responds with, and their content type. */
export function resultPayload(result: HandlerResult): { body: Buffer; contentType: string | undefined } {
  switch (result.type) {
    case 'json':
      return { body: Buffer.from(result.json), contentType: 'application/json' };
    case 'text':
      return { body: Buffer.from(result.text), contentType: 'text/plain; charset=utf-8' };
    case 'bytes':
      return {
        body: Buffer.from(result.bytes.buffer, result.bytes.byteOffset, result.bytes.byteLength),
        contentType: 'application/octet-stream',
      };
    case 'none':
      return { body: Buffer.alloc(0), contentType: undefined };
  }
}
