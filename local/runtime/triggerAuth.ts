/**
 * `authType: function` on an HTTP trigger, checked as FC's gateway checks it before the function runs
 * (https://www.alibabacloud.com/help/en/functioncompute/fc/user-guide/configure-signature-authentication-for-http-triggers).
 *
 * FC documents the caller's side: ACS3-HMAC-SHA256 computed with the SDK helper
 * (`getAuthorization(request, 'ACS3-HMAC-SHA256', '', accessKeyId, secret)`) over the method, the path
 * (`$` as `%24`), the decoded query and the headers `x-acs-date` (ISO 8601 UTC) and, for STS
 * credentials, `x-acs-security-token` (its examples send it empty otherwise); the payload line of the
 * canonical request is empty, so the body is not signed; the result goes in `Authorization`. Checked
 * here accordingly:
 *
 * - `Authorization` and `x-acs-date` are required (400 MissingRequiredHeader, FC's response to an unsigned
 *   request); `x-acs-date` must be signed and within 15 minutes of now (403 RequestTimeTooSkewed);
 * - the canonical headers are those `SignedHeaders` lists, as sent (others, `host` included, may go
 *   unsigned); the payload line is `x-acs-content-sha256` when sent (our signer's full form, which
 *   must then match the body), else empty;
 * - the AccessKey is the local one (the emulator's permanent pair; a security token, if sent, empty)
 *   or STS credentials the runtime handed to a function, with their token (403 InvalidAccessKeyID,
 *   InvalidSecurityToken); a query parameter sent twice and a wrong signature are 403
 *   SignatureNotMatch.
 *
 * Unlike the OpenAPI gateway, FC asks for no nonce here, so none is required or remembered.
 */

import type { TokenChecker } from '#local/emulator/sts.ts';
import { STS_ACCESS_KEY_PREFIX } from '#local/emulator/sts.ts';
import {
  CLOCK_SKEW_MS,
  headerValues,
  parseAuthorization,
  sameText,
  signedHeaderValues,
  uniqueQuery,
} from '#local/emulator/verify.ts';
import {
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  hashPayload,
  signature,
  stringToSign,
} from '#shared/signing/acs3.ts';
import { type AuthRefusal, SIGNATURE_NOT_MATCH } from './authErrors.ts';

export interface TriggerRequest {
  method: string;
  /** The path as the client sent it (with any local `/http/{name}` prefix), still encoded. */
  rawPath: string;
  rawQuery: string;
  rawHeaders: readonly string[];
  body: Buffer;
}

export interface TriggerKeys {
  /** The one permanent AccessKey pair accepted (the emulator's). */
  callerKey: { accessKeyId: string; accessKeySecret: string };
  /** The STS credentials handed to the functions. */
  sts: TokenChecker;
}

/** ISO 8601 UTC, whole seconds or with a fraction (`new Date().toISOString()`, as FC's Node example sends). */
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z$/;

/** Why FC would refuse the request, or undefined when it is signed right. */
export function triggerAuthRefusal(
  request: TriggerRequest,
  keys: TriggerKeys,
  now: number,
): AuthRefusal | undefined {
  const headers = headerValues(request.rawHeaders);
  const one = (name: string): string | undefined => headers.get(name)?.join(',');
  for (const name of ['authorization', 'x-acs-date']) {
    if (one(name) === undefined) {
      return { code: 'MissingRequiredHeader', message: `required HTTP header ${name} was not specified` };
    }
  }
  const auth = parseAuthorization(one('authorization'));
  if (typeof auth === 'string') return signatureNotMatch(auth);
  const date = one('x-acs-date') ?? '';
  const dated = ISO_UTC.test(date) ? Date.parse(date) : Number.NaN;
  if (Number.isNaN(dated)) {
    return {
      code: 'InvalidArgument',
      message: `x-acs-date must be ISO 8601 UTC (2024-07-12T06:44:19Z), not ${date}`,
    };
  }
  if (Math.abs(now - dated) > CLOCK_SKEW_MS) {
    return {
      code: 'RequestTimeTooSkewed',
      message: `the difference between the request time '${date}' and the current time '${new Date(now).toISOString()}' is too large`,
    };
  }
  if (!auth.signedHeaders.map((name) => name.toLowerCase()).includes('x-acs-date')) {
    return signatureNotMatch('x-acs-date must be one of the signed headers.');
  }
  const secret = secretFor(
    auth.accessKeyId,
    one('x-acs-security-token') ?? '',
    auth.signedHeaders,
    keys,
    now,
  );
  if (typeof secret !== 'string') return secret;

  const query = uniqueQuery(request.rawQuery);
  if (typeof query === 'string') return signatureNotMatch(query);
  const signedValues = signedHeaderValues(headers, auth.signedHeaders);
  if (typeof signedValues === 'string') return signatureNotMatch(signedValues);
  const payloadHash = one('x-acs-content-sha256') ?? '';
  if (payloadHash && payloadHash !== hashPayload(request.body)) {
    return signatureNotMatch('x-acs-content-sha256 is not the SHA-256 of the request body.');
  }
  const canonical = canonicalRequest(
    request.method,
    request.rawPath.replaceAll('$', '%24'),
    canonicalQuery(query),
    canonicalHeaders(signedValues),
    payloadHash,
  );
  if (!sameText(signature(secret, stringToSign(canonical)), auth.signature)) {
    return signatureNotMatch(`Our canonical request is ${JSON.stringify(canonical)}.`);
  }
  return undefined;
}

function signatureNotMatch(detail: string): AuthRefusal {
  return { code: 'SignatureNotMatch', message: `${SIGNATURE_NOT_MATCH} ${detail}` };
}

/** The secret to check the signature with, or why the AccessKey or its token is refused. */
function secretFor(
  accessKeyId: string,
  token: string,
  signedHeaders: readonly string[],
  keys: TriggerKeys,
  now: number,
): string | AuthRefusal {
  if (!accessKeyId.startsWith(STS_ACCESS_KEY_PREFIX)) {
    if (accessKeyId !== keys.callerKey.accessKeyId) {
      return { code: 'InvalidAccessKeyID', message: `invalid access key ID '${accessKeyId}'` };
    }
    if (token) {
      return { code: 'InvalidSecurityToken', message: `AccessKey ${accessKeyId} takes no security token.` };
    }
    return keys.callerKey.accessKeySecret;
  }
  if (!token || !signedHeaders.map((name) => name.toLowerCase()).includes('x-acs-security-token')) {
    return {
      code: 'InvalidSecurityToken',
      message: `STS AccessKey ${accessKeyId} needs its token in x-acs-security-token, signed.`,
    };
  }
  const checked = keys.sts.check(accessKeyId, token, now);
  return checked.ok ? checked.accessKeySecret : { code: 'InvalidSecurityToken', message: checked.message };
}
