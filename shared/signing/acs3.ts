/**
 * ACS3-HMAC-SHA256: the V3 request signature of Alibaba Cloud OpenAPI gateways.
 *
 * Every step of the algorithm is its own exported, pure function (no clock, no randomness, no I/O),
 * so each can be checked against the vectors recorded from the official `@alicloud/openapi-client`.
 * `sign()` strings them together: it takes the date and nonce as inputs and returns the headers to send.
 *
 * Reference: the official client's `OpenApiUtil.getAuthorization` (openapi-util 0.3.3); the steps below
 * are numbered as in that algorithm.
 */
import { hash } from 'node:crypto';

export const ALGORITHM = 'ACS3-HMAC-SHA256';

/** SHA-256 of the empty body; the hashed payload of every GET. */
export const EMPTY_PAYLOAD_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** Present for STS credentials (what FC hands a function); adds two signed headers. */
  securityToken?: string | undefined;
}

export interface SignableRequest {
  method: string;
  /** Used verbatim as the canonical URI: callers pass an already-encoded path. */
  pathname: string;
  query?: Readonly<Record<string, string | undefined>> | undefined;
  /** Extra headers to send and, if they are `host`, `content-type` or `x-acs-*`, to sign. */
  headers: Readonly<Record<string, string>>;
  /** The exact bytes that will be sent; a string is hashed as UTF-8. */
  body?: string | Uint8Array | undefined;
}

export interface SigningParams {
  /** `YYYY-MM-DDTHH:mm:ssZ`, see {@link formatAcsDate}. */
  date: string;
  /** Unique per request: the gateway rejects a reused nonce. */
  nonce: string;
}

/** Thrown for input that cannot be signed (a lone UTF-16 surrogate, a missing host). */
export class SigningError extends Error {
  override name = 'SigningError';
}

const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;
const STRICT_EXTRAS = /[!'()*]/g;

/** RFC 3986 strict percent-encoding, as the official client does it (`encodeURIComponent` plus `!'()*`). */
export function percentEncode(value: string): string {
  if (UNRESERVED.test(value)) return value;
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    throw new SigningError('cannot sign a value holding a lone UTF-16 surrogate (not valid Unicode text)');
  }
  return encoded.replace(STRICT_EXTRAS, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Step 3: keys sorted by UTF-16 code unit and left as they are; values strictly encoded; `k=` when empty. */
export function canonicalQuery(query: SignableRequest['query']): string {
  if (!query) return '';
  return Object.keys(query)
    .sort()
    .map((key) => `${key}=${percentEncode(query[key] ?? '')}`)
    .join('&');
}

/**
 * Parameters as `canonicalQuery` takes them, one value per name; or the name of one given more than
 * once, which a signature cannot cover (a server could read the value that was not signed).
 */
export function singleValuedQuery(
  params: URLSearchParams,
): { query: Record<string, string> } | { repeated: string } {
  const query: Record<string, string> = {};
  for (const [name, value] of params) {
    if (Object.hasOwn(query, name)) return { repeated: name };
    query[name] = value;
  }
  return { query };
}

export interface CanonicalHeaders {
  /** `name:value\n` for each signed header, sorted by name. */
  canonical: string;
  /** The sorted lower-case names joined by `;`. */
  signedHeaders: string;
}

function isSigned(lowerName: string): boolean {
  return lowerName.startsWith('x-acs-') || lowerName === 'host' || lowerName === 'content-type';
}

function byNameThenValue(a: [string, string], b: [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** Steps 4–5: `host`, `content-type` and `x-acs-*`, lower-cased and trimmed; repeated names merged. */
export function canonicalHeaders(headers: Readonly<Record<string, string>>): CanonicalHeaders {
  const pairs: [string, string][] = [];
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (isSigned(lower)) pairs.push([lower, (headers[name] ?? '').trim()]);
  }
  // Sorting by name then value puts a repeated name's values side by side, in the order the
  // official client joins them (`Host` and `host` both given, say).
  pairs.sort(byNameThenValue);
  let canonical = '';
  let signedHeaders = '';
  for (let i = 0; i < pairs.length; i++) {
    const [name, value] = pairs[i] as [string, string];
    if (i > 0 && pairs[i - 1]?.[0] === name) {
      canonical = `${canonical.slice(0, -1)},${value}\n`;
      continue;
    }
    canonical += `${name}:${value}\n`;
    signedHeaders += i === 0 ? name : `;${name}`;
  }
  return { canonical, signedHeaders };
}

/** Step 6: lower-case hex SHA-256 of the exact body bytes (`x-acs-content-sha256`). */
export function hashPayload(body?: string | Uint8Array): string {
  if (body === undefined || body.length === 0) return EMPTY_PAYLOAD_HASH;
  return hash('sha256', typeof body === 'string' ? body : Buffer.from(body), 'hex');
}

/** Step 1: the six parts joined by `\n` (the canonical headers bring their own trailing `\n`). */
export function canonicalRequest(
  method: string,
  pathname: string,
  query: string,
  headers: CanonicalHeaders,
  payloadHash: string,
): string {
  return `${method}\n${pathname}\n${query}\n${headers.canonical}\n${headers.signedHeaders}\n${payloadHash}`;
}

/** Step 7. */
export function stringToSign(canonical: string): string {
  return `${ALGORITHM}\n${hash('sha256', canonical, 'hex')}`;
}

const BLOCK = 64;
/**
 * The padded HMAC keys of the last secret used (an STS secret signs many requests in a row), laid
 * out in reusable buffers: `key ⊕ ipad` followed by room for the message, `key ⊕ opad` followed by
 * room for the inner digest.
 */
let pads: { secret: string; inner: Buffer; outer: Buffer } | undefined;

function padsOf(secret: string, messageBytes: number): { inner: Buffer; outer: Buffer } {
  if (pads?.secret !== secret || pads.inner.length < BLOCK + messageBytes) {
    const raw = Buffer.from(secret, 'utf8');
    const key = Buffer.alloc(BLOCK);
    (raw.length > BLOCK ? hash('sha256', raw, 'buffer') : raw).copy(key);
    const inner = Buffer.alloc(BLOCK + Math.max(128, messageBytes));
    const outer = Buffer.alloc(BLOCK + 32);
    for (let i = 0; i < BLOCK; i++) {
      inner[i] = (key[i] ?? 0) ^ 0x36;
      outer[i] = (key[i] ?? 0) ^ 0x5c;
    }
    pads = { secret, inner, outer };
  }
  return pads;
}

/**
 * Step 8: lower-case hex HMAC-SHA256 keyed with the AccessKey secret. Written out (RFC 2104) over
 * two one-shot hashes with the padded keys cached: `createHmac` costs more than the hashing itself
 * for messages this small, and signing speed is one of our goals (bench/signing.bench.ts).
 */
export function signature(accessKeySecret: string, toSign: string): string {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: room enough without measuring first.
  const { inner, outer } = padsOf(accessKeySecret, toSign.length * 3);
  const length = inner.write(toSign, BLOCK, 'utf8');
  outer.write(hash('sha256', inner.subarray(0, BLOCK + length), 'hex'), BLOCK, 'hex');
  return hash('sha256', outer, 'hex');
}

/** Step 9: no spaces after the commas. */
export function authorizationHeader(accessKeyId: string, signedHeaders: string, sig: string): string {
  return `${ALGORITHM} Credential=${accessKeyId},SignedHeaders=${signedHeaders},Signature=${sig}`;
}

/** `x-acs-date`: UTC, whole seconds, no milliseconds. */
export function formatAcsDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * The protocol headers a signed request carries besides the caller's: date, nonce, payload hash and,
 * for STS credentials, `x-acs-accesskey-id` and `x-acs-security-token`.
 */
export function protocolHeaders(
  credentials: Credentials,
  params: SigningParams,
  payloadHash: string,
  into: Record<string, string> = {},
): Record<string, string> {
  into['x-acs-date'] = params.date;
  into['x-acs-signature-nonce'] = params.nonce;
  into['x-acs-content-sha256'] = payloadHash;
  if (credentials.securityToken) {
    into['x-acs-accesskey-id'] = credentials.accessKeyId;
    into['x-acs-security-token'] = credentials.securityToken;
  }
  return into;
}

/**
 * Signs a request: returns every header to send (the caller's, the protocol's and `authorization`).
 * The caller's headers must include `host`, `x-acs-action` and `x-acs-version`.
 */
export function sign(
  request: SignableRequest,
  credentials: Credentials,
  params: SigningParams,
): Record<string, string> {
  const payloadHash = hashPayload(request.body);
  // Written into one new object (not spread: on Node 20 spreads cost more than the rest of sign()).
  const headers = protocolHeaders(credentials, params, payloadHash, Object.assign({}, request.headers));
  const signed = canonicalHeaders(headers);
  if (!`;${signed.signedHeaders};`.includes(';host;')) {
    throw new SigningError('the request to sign has no host header');
  }
  const query = canonicalQuery(request.query);
  const canonical = canonicalRequest(request.method, request.pathname, query, signed, payloadHash);
  const sig = signature(credentials.accessKeySecret, stringToSign(canonical));
  headers.authorization = authorizationHeader(credentials.accessKeyId, signed.signedHeaders, sig);
  return headers;
}
