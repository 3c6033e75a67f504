/** What the emulator sends back for one request: a reply, or nothing at all (the socket is destroyed). */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type Answer = Reply | 'drop';

/** The content type both the gateway and aicontent answer with. */
export const JSON_CONTENT_TYPE = 'application/json;charset=utf-8';

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': JSON_CONTENT_TYPE, ...headers }, body: JSON.stringify(value) };
}

/** Per request: the id every answer carries (`x-acs-request-id`) and the host the client addressed. */
export interface RequestContext {
  requestId: string;
  host: string;
}
