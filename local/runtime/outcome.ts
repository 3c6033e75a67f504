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

export type InvocationOutcome =
  | { requestId: string; ok: true; result: HandlerResult }
  | { requestId: string; ok: false; error: InvocationError };

/** The bytes a direct invocation answers with, and their content type. */
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
