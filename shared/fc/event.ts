/**
 * Decoding what FC hands a Node.js handler. The event is always bytes (a Buffer) and holds one of:
 * - an HTTP trigger's v1 event (JSON with `version: 'v1'`, `rawPath`, `requestContext.http`, …);
 * - a timer trigger's event (JSON with `triggerTime`, `triggerName`, `payload`);
 * - a direct invocation's payload, byte for byte as the caller sent it (InvokeFunction, chaining).
 * Anything that claims to be an HTTP or timer event but is malformed is rejected with a 400-class
 * error; anything else is a direct invocation and its payload is checked by whoever handles it.
 */
import { InvalidInputError } from '#shared/errors.ts';
import { isRecord } from '#shared/json.ts';

export interface HttpRequest {
  method: string;
  /** Decoded path, e.g. `/jobs/a b`. */
  path: string;
  /** Lower-cased names; FC joins repeated headers with `,`. */
  headers: Record<string, string>;
  query: Record<string, string>;
  /** The body bytes, base64-decoded when FC encoded them. */
  body: Buffer;
  sourceIp: string;
}

export type FcEvent =
  | { kind: 'http'; request: HttpRequest }
  | { kind: 'timer'; triggerName: string; triggerTime: string; payload: string }
  | { kind: 'invoke'; payload: unknown };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** An event that claims to be an HTTP or timer event but is not well formed: 400. */
export class InvalidEventError extends InvalidInputError {
  override name = 'InvalidEventError';
  /** What the event claimed to be, so the reply can still take the right shape. */
  readonly eventKind: 'http' | 'timer';
  constructor(eventKind: 'http' | 'timer', message: string) {
    super(`malformed ${eventKind === 'http' ? 'HTTP' : 'timer'} event: ${message}`, 'InvalidEvent');
    this.eventKind = eventKind;
  }
}

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new InvalidEventError('http', `${field} must be an object`);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new InvalidEventError('http', `${field}.${key} must be a string`);
    }
    out[field === 'headers' ? key.toLowerCase() : key] = item;
  }
  return out;
}

function decodeBody(body: unknown, isBase64Encoded: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== 'string') throw new InvalidEventError('http', 'body must be a string');
  if (isBase64Encoded !== true) return Buffer.from(body, 'utf8');
  if (body.length % 4 !== 0 || !BASE64.test(body)) {
    throw new InvalidEventError('http', 'body is marked base64 but is not base64');
  }
  return Buffer.from(body, 'base64');
}

function httpRequestOf(event: Record<string, unknown>): HttpRequest {
  const context = isRecord(event.requestContext) ? event.requestContext : {};
  const http = isRecord(context.http) ? context.http : {};
  if (typeof http.method !== 'string' || http.method === '') {
    throw new InvalidEventError('http', 'requestContext.http.method is missing');
  }
  let path = typeof http.path === 'string' ? http.path : undefined;
  if (path === undefined) {
    try {
      path = decodeURIComponent(String(event.rawPath));
    } catch {
      throw new InvalidEventError('http', 'rawPath is not a valid URL path');
    }
  }
  return {
    method: http.method.toUpperCase(),
    path,
    headers: stringMap(event.headers, 'headers'),
    query: stringMap(event.queryParameters, 'queryParameters'),
    body: decodeBody(event.body, event.isBase64Encoded),
    sourceIp: typeof http.sourceIp === 'string' ? http.sourceIp : '',
  };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Tells the three kinds of event apart and decodes them. `raw` is what FC passed as `event`. */
export function decodeFcEvent(raw: unknown): FcEvent {
  if (isRecord(raw) && !Buffer.isBuffer(raw)) return classify(raw);
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : undefined;
  if (text === undefined) return { kind: 'invoke', payload: raw };
  const parsed = parseJson(text);
  if (!parsed.ok) return { kind: 'invoke', payload: text };
  return isRecord(parsed.value) ? classify(parsed.value) : { kind: 'invoke', payload: parsed.value };
}

function classify(event: Record<string, unknown>): FcEvent {
  if (event.version === 'v1' && 'rawPath' in event && 'requestContext' in event) {
    return { kind: 'http', request: httpRequestOf(event) };
  }
  if ('triggerTime' in event && 'triggerName' in event) {
    if (typeof event.triggerTime !== 'string' || typeof event.triggerName !== 'string') {
      throw new InvalidEventError('timer', 'triggerTime and triggerName must be strings');
    }
    const payload = typeof event.payload === 'string' ? event.payload : '';
    return { kind: 'timer', triggerName: event.triggerName, triggerTime: event.triggerTime, payload };
  }
  return { kind: 'invoke', payload: event };
}
