/**
 * The fc2 signature against `@alicloud/fc2` itself (its `composeStringToSign` and `getSignature` are the
 * oracle), then its verification one broken part at a time.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HandedOutCredentials } from '#local/runtime/credentials.ts';
import {
  FC2_CLOCK_SKEW_MS,
  fc2ContentMd5,
  fc2Signature,
  fc2StringToSign,
  verifyFc2Request,
} from '#local/runtime/fc2Signature.ts';

const require = createRequire(import.meta.url);
const fc2 = require('@alicloud/fc2') as {
  getSignature(
    ak: string,
    secret: string,
    method: string,
    path: string,
    headers: object,
    queries: null,
  ): string;
};
const helper = require('@alicloud/fc2/lib/helper.js') as {
  composeStringToSign(method: string, path: string, headers: object, queries: null): string;
};

const now = Date.parse('2024-07-12T06:44:19Z');
const credentials = { accessKeyId: 'STS.TEST1', accessKeySecret: 'secret-1', securityToken: 'token-1' };
const path = '/2016-08-15/services/svc.LATEST/functions/fn/invocations';

/** Headers as fc2's `request()` builds them, signed with its own `getSignature`. */
function signedByFc2(body: Buffer, extra: Record<string, string> = {}, date = new Date(now)) {
  const headers: Record<string, string> = {
    accept: 'application/json',
    date: date.toUTCString(),
    host: '127.0.0.1',
    'user-agent': 'test',
    'x-fc-account-id': '1234567890123456',
    'x-fc-security-token': credentials.securityToken,
    'content-type': 'application/octet-stream',
    'content-md5': fc2ContentMd5(body),
    ...extra,
  };
  headers.authorization = fc2.getSignature(
    credentials.accessKeyId,
    credentials.accessKeySecret,
    'POST',
    path,
    headers,
    null,
  );
  return headers;
}

function handedOut(expiration = '2024-07-12T07:44:19Z') {
  const issued = new HandedOutCredentials();
  issued.remember({ ...credentials, expiration }, now);
  return issued;
}

describe('matches @alicloud/fc2', () => {
  it('builds the same string to sign and signature (property)', () => {
    const headerName = fc.stringMatching(/^x-fc-[a-z-]{1,12}$/);
    fc.assert(
      fc.property(
        fc.dictionary(headerName, fc.string({ maxLength: 20 }), { maxKeys: 5 }),
        fc.constantFrom('GET', 'POST'),
        fc.string({ maxLength: 20 }),
        (fcHeaders, method, md5) => {
          const headers = {
            date: new Date(now).toUTCString(),
            'content-md5': md5,
            'content-type': 'a/b',
            ...fcHeaders,
          };
          const ours = fc2StringToSign(method, path, headers);
          expect(ours).toBe(helper.composeStringToSign(method, path, headers, null));
          const theirs = fc2.getSignature(
            credentials.accessKeyId,
            credentials.accessKeySecret,
            method,
            path,
            headers,
            null,
          );
          expect(`FC ${credentials.accessKeyId}:${fc2Signature(credentials.accessKeySecret, ours)}`).toBe(
            theirs,
          );
        },
      ),
    );
  });

  it('writes content-md5 as fc2 does: base64 of the hex digest', () => {
    expect(fc2ContentMd5(Buffer.from('hello'))).toBe(
      Buffer.from('5d41402abc4b2a76b9719d911017c592').toString('base64'),
    );
  });
});

describe('verifyFc2Request', () => {
  const body = Buffer.from('{"a":1}');
  const verify = (
    headers: IncomingHttpHeaders,
    options: { sent?: Buffer; at?: number; issued?: HandedOutCredentials } = {},
  ) =>
    verifyFc2Request(
      { method: 'POST', path, headers, body: options.sent ?? body },
      options.issued ?? handedOut(),
      options.at ?? now,
    );

  it('accepts what fc2 signs with handed-out credentials', () => {
    expect(verify(signedByFc2(body, { 'x-fc-invocation-type': 'Async' }))).toEqual({
      ok: true,
      accessKeyId: credentials.accessKeyId,
    });
  });

  it.each([
    [
      'a tampered signed header',
      (h: Record<string, string>) => ({ ...h, 'x-fc-invocation-type': 'Async' }),
      'SignatureNotMatch',
    ],
    [
      'a tampered signature',
      (h: Record<string, string>) => ({ ...h, authorization: `${h.authorization?.slice(0, -4)}AAA=` }),
      'SignatureNotMatch',
    ],
    [
      'an unknown AccessKey',
      (h: Record<string, string>) => ({
        ...h,
        authorization: h.authorization?.replace('STS.TEST1', 'STS.OTHER'),
      }),
      'InvalidAccessKeyID',
    ],
    [
      'another security token',
      (h: Record<string, string>) => ({ ...h, 'x-fc-security-token': 'forged' }),
      'InvalidSecurityToken',
    ],
    [
      'no Authorization',
      (h: Record<string, string>) => ({ ...h, authorization: '' }),
      'MissingRequiredHeader',
    ],
    ['no date', (h: Record<string, string>) => ({ ...h, date: '' }), 'MissingRequiredHeader'],
    [
      'no content-md5 with a body',
      (h: Record<string, string>) => ({ ...h, 'content-md5': '' }),
      'SignatureNotMatch',
    ],
  ])('refuses %s', (_, change, code) => {
    expect(verify(change(signedByFc2(body)))).toMatchObject({ ok: false, code });
  });

  it('refuses a body other than the one signed', () => {
    expect(verify(signedByFc2(body), { sent: Buffer.from('{"a":2}') })).toMatchObject({
      ok: false,
      code: 'SignatureNotMatch',
      message: expect.stringMatching(/content-md5/),
    });
  });

  it('refuses a date more than 15 minutes away, either way', () => {
    const headers = signedByFc2(body);
    expect(verify(headers, { at: now + FC2_CLOCK_SKEW_MS })).toMatchObject({ ok: true });
    expect(verify(headers, { at: now + FC2_CLOCK_SKEW_MS + 1000 })).toMatchObject({
      code: 'RequestTimeTooSkewed',
    });
    expect(verify(headers, { at: now - FC2_CLOCK_SKEW_MS - 1000 })).toMatchObject({
      code: 'RequestTimeTooSkewed',
    });
  });

  it('refuses expired credentials', () => {
    const issued = handedOut('2024-07-12T06:44:20Z');
    expect(verify(signedByFc2(body), { issued, at: now + 2000 })).toMatchObject({
      code: 'InvalidSecurityToken',
    });
  });
});
