/**
 * The "v1" event an FC 3.0 HTTP trigger hands the function (docs/fc-runtime.md §2.1), built from the request
 * as received: a Buffer holding JSON.
 *
 * Choices where FC's documentation leaves room:
 * - header names are lower-cased (the documented example does so); repeated headers and repeated query
 *   parameters are joined with `,` in the order received;
 * - the body is sent as text when its content type is textual (`text/*`, JSON, XML, form-urlencoded,
 *   JavaScript, including `+json` / `+xml` types) and the bytes are valid UTF-8; anything else, a body
 *   without a content type included, is base64 with `isBase64Encoded: true`; no body is `''`, as text;
 * - `domainName` is the trigger's domain, never the client's `Host` (FC: `<trigger id>.<region>.fcapp.run`),
 *   and `domainPrefix` its first label; locally each trigger has a constant one, see `triggerDomain`.
 */

export interface HttpRequestFacts {
  method: string;
  /** The path as received, still URL-encoded, without the query (and without a local routing prefix). */
  rawPath: string;
  /** Everything after `?`, still encoded; empty when there is none. */
  rawQuery: string;
  /** Node's `rawHeaders`: name, value, name, value, ... */
  rawHeaders: readonly string[];
  body: Buffer;
  /** `HTTP/1.1` */
  protocol: string;
  sourceIp: string;
  requestId: string;
  accountId: string;
  /** The trigger's domain (`triggerDomain`). */
  domainName: string;
  /** Epoch ms the request arrived. */
  receivedAt: number;
}

export interface HttpEventV1 {
  version: 'v1';
  rawPath: string;
  body: string;
  isBase64Encoded: boolean;
  headers: Record<string, string>;
  queryParameters: Record<string, string>;
  requestContext: {
    accountId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    time: string;
    timeEpoch: string;
  };
}

export class BadHttpRequestError extends Error {
  override name = 'BadHttpRequestError';
}

export function httpEventV1(request: HttpRequestFacts): HttpEventV1 {
  const headers = joinValues(pairs(request.rawHeaders).map(([name, value]) => [name.toLowerCase(), value]));
  const queryParameters = joinValues([...new URLSearchParams(request.rawQuery)]);
  const contentType = headers['content-type'];
  const isText = request.body.length === 0 || isTextContentType(contentType);
  const text = isText ? utf8Text(request.body) : undefined;
  const { domainName } = request;
  return {
    version: 'v1',
    rawPath: request.rawPath,
    body: text ?? request.body.toString('base64'),
    isBase64Encoded: text === undefined,
    headers,
    queryParameters,
    requestContext: {
      accountId: request.accountId,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? '',
      http: {
        method: request.method,
        path: decodePath(request.rawPath),
        protocol: request.protocol,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: request.requestId,
      time: `${new Date(request.receivedAt).toISOString().slice(0, 19)}Z`,
      timeEpoch: String(request.receivedAt),
    },
  };
}

/**
 * A trigger's local domain: `<functionName>-<triggerName>.<region>.fcapp.run`, lower-cased, with what a
 * host name label cannot hold turned into `-` and the label cut to 63 characters. It has FC's shape
 * (`<trigger id>.<region>.fcapp.run`, the trigger id being the function name and a random suffix) and
 * stays the same from run to run; nothing answers at it.
 */
export function triggerDomain(functionName: string, triggerName: string, region: string): string {
  const label = `${functionName}-${triggerName}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return `${label}.${region}.fcapp.run`;
}

const TEXT_TYPES =
  /^(?:text\/|application\/(?:json|xml|javascript|x-www-form-urlencoded)\b|[^;]*\+(?:json|xml)\b)/i;

export function isTextContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && TEXT_TYPES.test(contentType.trim());
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function utf8Text(body: Buffer): string | undefined {
  try {
    return STRICT_UTF8.decode(body);
  } catch {
    return undefined;
  }
}

/** The decoded path (`requestContext.http.path`); a malformed escape is the client's error. */
export function decodePath(rawPath: string): string {
  try {
    return decodeURIComponent(rawPath);
  } catch {
    throw new BadHttpRequestError(`the path ${rawPath} holds a malformed %-escape`);
  }
}

function pairs(rawHeaders: readonly string[]): [string, string][] {
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    result.push([rawHeaders[i] ?? '', rawHeaders[i + 1] ?? '']);
  return result;
}

function joinValues(entries: readonly (readonly [string, string])[]): Record<string, string> {
  const joined = new Map<string, string>();
  for (const [name, value] of entries) {
    const before = joined.get(name);
    joined.set(name, before === undefined ? value : `${before},${value}`);
  }
  // fromEntries defines own properties, so even a `__proto__` key stays a plain entry.
  return Object.fromEntries(joined);
}
