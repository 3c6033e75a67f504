/**
 * The FC 2.0 API signature that `@alicloud/fc2` (2.6.6, `lib/client.js` and `lib/helper.js`) puts on
 * its requests, and its verification against the credentials the runtime handed out.
 *
 *   Authorization: FC <AccessKeyId>:<base64 HMAC-SHA256(secret, string to sign)>
 *   string to sign: METHOD \n content-md5 \n content-type \n date \n <x-fc-* headers> <path>
 *
 * The `x-fc-*` headers are lower-cased, sorted, one `name:value\n` each; the path is `/2016-08-15/...`
 * unencoded, without the query (queries are signed only under `/proxy/`, which is not served here).
 * `content-md5` is base64 of the *hex* MD5 of the body. The client's `date` is `toUTCString()`; like FC,
 * a request dated more than 15 minutes from now is refused. A missing header is a 400, every other failure a 403 (`authErrors.ts`).
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { sameText } from '#local/emulator/verify.ts';
import { type AuthRefusal, SIGNATURE_NOT_MATCH } from './authErrors.ts';
import type { HandedOutCredentials } from './credentials.ts';

export const FC2_CLOCK_SKEW_MS = 15 * 60_000;

export interface Fc2Request {
  method: string;
  /** The decoded path, without the query. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Fc2Verdict = { ok: true; accessKeyId: string } | ({ ok: false } & AuthRefusal);

export function fc2StringToSign(method: string, path: string, headers: IncomingHttpHeaders): string {
  const one = (name: string) => headerText(headers[name]);
  const fcHeaders = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .filter((name) => name.startsWith('x-fc-'))
    .sort()
    .map((name) => `${name}:${one(name)}\n`)
    .join('');
  return `${method}\n${one('content-md5')}\n${one('content-type')}\n${one('date')}\n${fcHeaders}${path}`;
}

export function fc2Signature(accessKeySecret: string, stringToSign: string): string {
  return createHmac('sha256', accessKeySecret).update(stringToSign, 'utf8').digest('base64');
}

export function fc2ContentMd5(body: Buffer): string {
  return Buffer.from(createHash('md5').update(body).digest('hex')).toString('base64');
}

const AUTHORIZATION = /^FC ([^:\s]+):(\S+)$/;

export function verifyFc2Request(request: Fc2Request, issued: HandedOutCredentials, now: number): Fc2Verdict {
  const fail = (code: AuthRefusal['code'], message: string): Fc2Verdict => ({ ok: false, code, message });
  const auth = AUTHORIZATION.exec(headerText(request.headers.authorization));
  if (!auth) return fail('MissingRequiredHeader', 'Authorization must be "FC <AccessKeyId>:<signature>".');
  const [, accessKeyId = '', signature = ''] = auth;

  const date = Date.parse(headerText(request.headers.date));
  if (Number.isNaN(date)) return fail('MissingRequiredHeader', 'The date header is missing or malformed.');
  if (Math.abs(now - date) > FC2_CLOCK_SKEW_MS) {
    return fail('RequestTimeTooSkewed', `The date ${request.headers.date} is more than 15 minutes from now.`);
  }
  // The body is signed only through content-md5, so a body must come with it.
  const md5 = headerText(request.headers['content-md5']);
  if ((request.body.length > 0 || md5) && md5 !== fc2ContentMd5(request.body)) {
    return fail('SignatureNotMatch', 'content-md5 is missing or does not match the body.');
  }

  const checked = issued.check(accessKeyId, headerText(request.headers['x-fc-security-token']), now);
  if (!checked.ok) {
    // `Malformed` is what the record says of an AccessKey it never handed out.
    const code =
      checked.code === 'InvalidSecurityToken.Malformed' ? 'InvalidAccessKeyID' : 'InvalidSecurityToken';
    return fail(code, checked.message);
  }
  const toSign = fc2StringToSign(request.method, request.path, request.headers);
  if (!sameText(fc2Signature(checked.accessKeySecret, toSign), signature)) {
    return fail(
      'SignatureNotMatch',
      `${SIGNATURE_NOT_MATCH} Our string to sign is ${JSON.stringify(toSign)}.`,
    );
  }
  return { ok: true, accessKeyId };
}

function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}
