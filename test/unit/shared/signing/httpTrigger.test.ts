/**
 * The HTTP trigger signature is exactly what FC's documented recipe computes with the official helper:
 * `OpenApiUtil.getAuthorization(request, 'ACS3-HMAC-SHA256', '', accessKeyId, secret)` over
 * `x-acs-date` and `x-acs-security-token`, the path with `$` as `%24`, and the decoded query.
 */
import { describe, expect, it } from 'vitest';
import { SigningError } from '#shared/signing/acs3.ts';
import { signHttpTriggerRequest } from '#shared/signing/httpTrigger.ts';
import { OpenApiUtil } from '#test/helpers/officialClient.ts';

const DATE = new Date('2026-11-25T08:00:00.123Z');
const PERMANENT = {
  accessKeyId: 'LTAI5tEMULATORFAKEKEY0',
  accessKeySecret: 'EmulatorFakeSecretNotARealKey000',
};
const STS = { accessKeyId: 'STS.FAKE', accessKeySecret: 'FakeStsSecret', securityToken: 'CAIS.fake-token' };

function documentedRecipe(method: string, url: URL, credentials: typeof STS | typeof PERMANENT) {
  const headers = {
    'x-acs-date': '2026-11-25T08:00:00Z',
    'x-acs-security-token': 'securityToken' in credentials ? credentials.securityToken : '',
  };
  return OpenApiUtil.getAuthorization(
    {
      method,
      pathname: url.pathname.replace('$', '%24'),
      headers,
      query: Object.fromEntries(url.searchParams),
    },
    'ACS3-HMAC-SHA256',
    '',
    credentials.accessKeyId,
    credentials.accessKeySecret,
  );
}

describe('signHttpTriggerRequest', () => {
  it.each([
    ['GET', 'https://q-abc.cn-shanghai.fcapp.run/jobs/42', PERMANENT],
    ['POST', 'https://q-abc.cn-shanghai.fcapp.run/jobs', STS],
    ['GET', "http://127.0.0.1:9000/jobs?state=pending&limit=5&cursor=a b!'()*~", PERMANENT],
    ['GET', 'http://127.0.0.1:9000/http/svc$fn/jobs/%E4%BD%A0', STS],
  ] as const)('signs %s %s as the official helper does', (method, address, credentials) => {
    const url = new URL(address);
    const headers = signHttpTriggerRequest(method, url, credentials, DATE);
    expect(headers).toEqual({
      'x-acs-date': '2026-11-25T08:00:00Z',
      'x-acs-security-token': 'securityToken' in credentials ? credentials.securityToken : '',
      authorization: documentedRecipe(method, url, credentials),
    });
    expect(headers.authorization).toMatch(
      new RegExp(
        `^ACS3-HMAC-SHA256 Credential=${credentials.accessKeyId},SignedHeaders=x-acs-date;x-acs-security-token,Signature=[0-9a-f]{64}$`,
      ),
    );
  });

  it('refuses a query parameter given twice', () => {
    expect(() =>
      signHttpTriggerRequest('GET', new URL('http://127.0.0.1/jobs?state=a&state=b'), PERMANENT, DATE),
    ).toThrow(
      new SigningError('the query parameter state is given twice; a signed request carries each name once'),
    );
  });
});
