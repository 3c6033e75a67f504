/**
 * Checks a signed request the way the gateway does before aicontent sees it, and says why it fails.
 *
 * The signature is recomputed from the request as received, with the signer's own step functions: the
 * canonical query from the *decoded* parameters (the official client sends `!'()*` literally on the
 * wire but signs them percent-encoded), the canonical headers from the headers actually sent.
 *
 * A query parameter sent twice is refused: a signer signs one value per name, and a service reading
 * another value than the one signed (`?id=B&id=A` signed for A) must never get the request. Errors
 * never quote a security token or signature (`maskSecrets`, applied where replies are written).
 */
import { timingSafeEqual } from 'node:crypto';
import {
  ALGORITHM,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  hashPayload,
  signature,
  singleValuedQuery,
  stringToSign,
} from '#shared/signing/acs3.ts';
import type { GatewayCode } from './gatewayErrors.ts';
import { NonceWindow } from './nonces.ts';
import { STS_ACCESS_KEY_PREFIX, type TokenChecker } from './sts.ts';

/** How far `x-acs-date` may be from the emulator's clock, either way. */
export const CLOCK_SKEW_MS = 15 * 60_000;

export interface ReceivedRequest {
  method: string;
  /** The path of the request line, before `?`: the canonical URI, used as is. */
  pathname: string;
  /** The query of the request line, after `?`, still encoded; empty when there is none. */
  rawQuery: string;
  /** Node's `rawHeaders`: name, value, name, value, ... as received (duplicates kept). */
  rawHeaders: readonly string[];
  body: Buffer;
}

export type Verdict =
  | { ok: true; accessKeyId: string; action: string; version: string }
  | { ok: false; code: GatewayCode; detail: string };

const REQUIRED_HEADERS = [
  'x-acs-action',
  'x-acs-version',
  'x-acs-date',
  'x-acs-signature-nonce',
  'x-acs-content-sha256',
] as const;
const ACS_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

interface Authorization {
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

export interface VerifierKeys {
  /** The one permanent AccessKey pair accepted. */
  accessKeyId: string;
  accessKeySecret: string;
  sts: TokenChecker;
}

export class RequestVerifier {
  readonly #keys: VerifierKeys;
  // A request dated d is accepted while the clock is within d ± skew, so a nonce must be remembered for
  // twice the skew to catch every replay of a still-acceptable request.
  readonly #nonces = new NonceWindow(2 * CLOCK_SKEW_MS);

  constructor(keys: VerifierKeys) {
    this.#keys = keys;
  }

  verify(request: ReceivedRequest, now: number): Verdict {
    const headers = headerValues(request.rawHeaders);
    const one = (name: string): string | undefined => headers.get(name)?.join(',');

    for (const name of REQUIRED_HEADERS) {
      if (!one(name)) return fail('MissingParameter', `The header ${name} is missing.`);
    }
    const auth = parseAuthorization(one('authorization'));
    if (typeof auth === 'string') return fail('IncompleteSignature', auth);

    const date = one('x-acs-date') ?? '';
    const dated = parseAcsDate(date);
    if (dated === undefined) {
      return fail('InvalidTimeStamp.Format', `x-acs-date must look like 2024-07-12T06:44:19Z, got ${date}.`);
    }
    if (Math.abs(now - dated) > CLOCK_SKEW_MS) {
      return fail(
        'InvalidTimeStamp.Expired',
        `x-acs-date ${date} is more than 15 minutes from the server time ${new Date(now).toISOString()}.`,
      );
    }

    const query = uniqueQuery(request.rawQuery);
    if (typeof query === 'string') return fail('SignatureDoesNotMatch', query);

    const payloadHash = one('x-acs-content-sha256') ?? '';
    if (payloadHash !== hashPayload(request.body)) {
      return fail('SignatureDoesNotMatch', 'x-acs-content-sha256 is not the SHA-256 of the request body.');
    }

    const secret = this.#secretFor(
      auth.accessKeyId,
      one('x-acs-accesskey-id'),
      one('x-acs-security-token'),
      now,
    );
    if (typeof secret !== 'string') return secret;

    const unsigned = unsignedHeader(headers, auth.signedHeaders);
    if (unsigned) return fail('IncompleteSignature', unsigned);
    const signedValues = signedHeaderValues(headers, auth.signedHeaders);
    if (typeof signedValues === 'string') return fail('IncompleteSignature', signedValues);
    const signed = canonicalHeaders(signedValues);
    const canonical = canonicalRequest(
      request.method,
      request.pathname,
      canonicalQuery(query),
      signed,
      payloadHash,
    );
    if (!sameText(signature(secret, stringToSign(canonical)), auth.signature)) {
      return fail('SignatureDoesNotMatch', `Our canonical request is ${JSON.stringify(canonical)}.`);
    }

    // Only a request that passed every check uses up its nonce.
    if (!this.#nonces.use(one('x-acs-signature-nonce') ?? '', now)) {
      return fail('SignatureNonceUsed', 'Sign each request with a fresh x-acs-signature-nonce.');
    }
    return {
      ok: true,
      accessKeyId: auth.accessKeyId,
      action: one('x-acs-action') ?? '',
      version: one('x-acs-version') ?? '',
    };
  }

  /** The secret to check the signature with, or why the AccessKey or its token is refused. */
  #secretFor(
    accessKeyId: string,
    headerAccessKeyId: string | undefined,
    token: string | undefined,
    now: number,
  ): string | Verdict {
    const sts = accessKeyId.startsWith(STS_ACCESS_KEY_PREFIX);
    if (sts && !token) return fail('MissingSecurityToken', 'An STS AccessKey needs x-acs-security-token.');
    if (!sts && accessKeyId !== this.#keys.accessKeyId) {
      return fail('InvalidAccessKeyId.NotFound', `AccessKey ${accessKeyId} is not known here.`);
    }
    if (!token) return this.#keys.accessKeySecret;
    if (headerAccessKeyId !== accessKeyId) {
      return fail(
        'InvalidSecurityToken.MismatchWithAccessKey',
        'With a security token, x-acs-accesskey-id must be sent and equal the Credential AccessKey id.',
      );
    }
    const checked = this.#keys.sts.check(accessKeyId, token, now);
    return checked.ok ? checked.accessKeySecret : fail(checked.code, checked.message);
  }
}

function fail(code: GatewayCode, detail: string): Verdict {
  return { ok: false, code, detail };
}

/** The decoded query parameters, or why not: a name sent more than once. */
export function uniqueQuery(rawQuery: string): Record<string, string> | string {
  const single = singleValuedQuery(new URLSearchParams(rawQuery));
  if ('query' in single) return single.query;
  return `The query parameter ${single.repeated} is sent more than once; a signed request carries each name once.`;
}

/** Lower-case name → trimmed values, in the order received. */
export function headerValues(rawHeaders: readonly string[]): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = (rawHeaders[i + 1] ?? '').trim();
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }
  return values;
}

function isSignable(name: string): boolean {
  return name === 'host' || name === 'content-type' || name.startsWith('x-acs-');
}

/** The gateway's rule: every `host`, `content-type` and `x-acs-*` header sent must be signed. */
function unsignedHeader(headers: Map<string, string[]>, signedHeaders: string[]): string | undefined {
  const listed = new Set(signedHeaders.map((name) => name.toLowerCase()));
  for (const name of headers.keys()) {
    if (isSignable(name) && !listed.has(name)) return `The header ${name} is sent but not signed.`;
  }
  return undefined;
}

/**
 * The headers of `SignedHeaders` as one value per name for the signer's `canonicalHeaders` (repeated
 * values pre-merged the way it merges them: sorted, joined with `,`), or why they cannot be: a signed
 * header that is not sent, or one no signer signs (the canonical form holds only `host`,
 * `content-type` and `x-acs-*`).
 */
export function signedHeaderValues(
  headers: Map<string, string[]>,
  signedHeaders: string[],
): Record<string, string> | string {
  const record: Record<string, string> = {};
  for (const name of signedHeaders.map((listed) => listed.toLowerCase())) {
    const values = headers.get(name);
    if (!values) return `The signed header ${name} is not sent.`;
    if (!isSignable(name)) return `Only host, content-type and x-acs-* headers may be signed, not ${name}.`;
    record[name] = [...values].sort().join(',');
  }
  return record;
}

/** `ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<a;b>,Signature=<hex>`, or why it is not. */
export function parseAuthorization(value: string | undefined): Authorization | string {
  if (!value) return 'The Authorization header is missing.';
  if (!value.startsWith(`${ALGORITHM} `)) return `Authorization must use ${ALGORITHM}.`;
  const fields = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const sig = fields.get('Signature');
  if (!accessKeyId || !signedHeaders || !sig) {
    return 'Authorization needs Credential=, SignedHeaders= and Signature=.';
  }
  return { accessKeyId, signedHeaders: signedHeaders.split(';'), signature: sig };
}

/** Epoch ms of a well-formed `x-acs-date`, else undefined (wrong shape, or no such day). */
function parseAcsDate(value: string): number | undefined {
  if (!ACS_DATE.test(value)) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time) || new Date(time).toISOString() !== value.replace('Z', '.000Z')) return undefined;
  return time;
}

export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
