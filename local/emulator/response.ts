/** What the emulator sends back for one request: a response, or nothing at all (the socket is destroyed). */
export interface EmulatorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ResponseOrDrop = EmulatorResponse | 'drop';

/** The content type of both the gateway's and aicontent's responses. */
export const JSON_CONTENT_TYPE = 'application/json;charset=utf-8';

export function jsonResponse(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): EmulatorResponse {
  return { status, headers: { 'content-type': JSON_CONTENT_TYPE, ...headers }, body: JSON.stringify(value) };
}

/** Per request: the id every response carries (`x-acs-request-id`) and the host the client addressed. */
export interface RequestContext {
  requestId: string;
  host: string;
}
