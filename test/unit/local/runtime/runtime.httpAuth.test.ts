/**
 * An HTTP trigger with `authType: function`, enforced as FC enforces it: requests signed as FC documents
 * (ACS3-HMAC-SHA256 over x-acs-date and x-acs-security-token) with the local AccessKey (the emulator's
 * pair) or with STS credentials the runtime handed out are served; others get FC's refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_ACCESS_KEY_ID, FAKE_ACCESS_KEY_SECRET } from '#local/emulator/emulator.ts';
import type { Credentials } from '#shared/signing/acs3.ts';
import { signHttpTriggerRequest } from '#shared/signing/httpTrigger.ts';
import { type FixtureRuntime, runtimeNotices, startFixtureRuntime } from '#test/helpers/localRuntime.ts';
import { OpenApiUtil } from '#test/helpers/officialClient.ts';

const LOCAL_KEY = { accessKeyId: FAKE_ACCESS_KEY_ID, accessKeySecret: FAKE_ACCESS_KEY_SECRET };

let fixture: FixtureRuntime;
/** Credentials the runtime handed to an invocation. */
let handedOut: Credentials;

beforeAll(async () => {
  fixture = await startFixtureRuntime({ templateEnv: { FIXTURE_AUTH_TYPE: 'function' } });
  const outcome = await fixture.runtime.invoke('echo', 'who am I');
  if (!outcome.ok || outcome.result.type !== 'json') throw new Error('echo failed');
  handedOut = (JSON.parse(outcome.result.json) as { context: { credentials: Credentials } }).context
    .credentials;
});
afterAll(() => fixture.runtime.close());

interface Signed {
  method?: string;
  body?: string;
  credentials?: Credentials;
  date?: Date;
  /** Changes the headers after signing. */
  tamper?: (headers: Record<string, string>) => void;
  /** The path and method sent, when they must differ from those signed. */
  sentPath?: string;
  sentMethod?: string;
}

async function signedCall(path: string, call: Signed = {}) {
  const method = call.method ?? 'GET';
  const url = new URL(path, fixture.runtime.url);
  const headers = signHttpTriggerRequest(method, url, call.credentials ?? LOCAL_KEY, call.date ?? new Date());
  call.tamper?.(headers);
  const response = await fetch(new URL(call.sentPath ?? path, fixture.runtime.url), {
    method: call.sentMethod ?? method,
    headers,
    body: call.body,
  });
  return {
    status: response.status,
    requestId: response.headers.get('x-fc-request-id'),
    text: await response.text(),
  };
}

const eventOf = (text: string) =>
  (JSON.parse(text) as { event: { rawPath: string; body: string; queryParameters: object } }).event;

describe('served', () => {
  it('a request signed with the local AccessKey', async () => {
    const response = await signedCall('/jobs/42?state=pending&cursor=a%20b');
    expect(response.status).toBe(200);
    expect(eventOf(response.text)).toMatchObject({
      rawPath: '/jobs/42',
      queryParameters: { state: 'pending', cursor: 'a b' },
    });
  });

  it('a request signed with STS credentials the runtime handed to a function', async () => {
    const response = await signedCall('/jobs', { method: 'POST', body: '{"x":1}', credentials: handedOut });
    expect(response.status).toBe(200);
    expect(eventOf(response.text).body).toBe('{"x":1}');
  });

  it('under /http/{functionName}/ too: the signature covers the path as called', async () => {
    const response = await signedCall('/http/fixture-echo/jobs/1');
    expect(response.status).toBe(200);
    expect(eventOf(response.text).rawPath).toBe('/jobs/1');
  });

  it("a request signed exactly as FC's Node.js example does it (official helper, millisecond date)", async () => {
    const url = new URL('/jobs/7?state=pending', fixture.runtime.url);
    const headers: Record<string, string> = {
      'x-acs-date': new Date().toISOString(),
      'x-acs-security-token': '',
    };
    headers.authorization = OpenApiUtil.getAuthorization(
      { method: 'POST', pathname: url.pathname, headers, query: Object.fromEntries(url.searchParams) },
      'ACS3-HMAC-SHA256',
      '',
      LOCAL_KEY.accessKeyId,
      LOCAL_KEY.accessKeySecret,
    );
    const response = await fetch(url, { method: 'POST', headers, body: 'hello world' });
    expect(response.status).toBe(200);
  });

  it('whatever the body: FC signs no payload, unless x-acs-content-sha256 is sent', async () => {
    const other = await signedCall('/jobs', { method: 'POST', body: 'not what was there when signing' });
    expect(other.status).toBe(200);
    const lying = await signedCall('/jobs', {
      method: 'POST',
      body: 'x',
      tamper: (h) => {
        h['x-acs-content-sha256'] = '0'.repeat(64);
      },
    });
    expect(lying.status).toBe(403);
  });
});

describe("refused with FC's codes", () => {
  const expectRefusal = (
    response: { status: number; requestId: string | null; text: string },
    status: number,
    code: string,
  ) => {
    expect(response.status).toBe(status);
    expect(JSON.parse(response.text)).toEqual({
      Code: code,
      Message: expect.any(String),
      RequestId: response.requestId,
    });
  };

  it('400 MissingRequiredHeader for an unsigned request', async () => {
    const fetched = await fetch(`${fixture.runtime.url}/jobs/1`);
    const response = {
      status: fetched.status,
      requestId: fetched.headers.get('x-fc-request-id'),
      text: await fetched.text(),
    };
    expectRefusal(response, 400, 'MissingRequiredHeader');
    expect(JSON.parse(response.text).Message).toBe('required HTTP header authorization was not specified');
  });

  it('403 SignatureNotMatch for a wrong secret, without quoting the token', async () => {
    const response = await signedCall('/jobs/1', { credentials: { ...handedOut, accessKeySecret: 'wrong' } });
    expectRefusal(response, 403, 'SignatureNotMatch');
    expect(response.text).not.toContain(handedOut.securityToken ?? 'no token');
  });

  it.each([
    ['a query changed after signing', { sentPath: '/jobs/1?state=failed' }, 'SignatureNotMatch'],
    ['a query parameter sent twice', { sentPath: '/jobs/1?state=failed&state=pending' }, 'SignatureNotMatch'],
    ['another path', { sentPath: '/jobs/2' }, 'SignatureNotMatch'],
    ['another method', { sentMethod: 'PUT' }, 'SignatureNotMatch'],
  ] as const)('403 for %s', async (_, change, code) => {
    const response = await signedCall('/jobs/1?state=pending', change);
    expectRefusal(response, 403, code);
  });

  it('403 InvalidAccessKeyID for a permanent AccessKey other than the local one', async () => {
    const response = await signedCall('/jobs/1', {
      credentials: { accessKeyId: 'LTAI5tOTHER', accessKeySecret: 'x' },
    });
    expectRefusal(response, 403, 'InvalidAccessKeyID');
  });

  it('403 InvalidSecurityToken for STS credentials never handed out, or without their token', async () => {
    const foreign = { accessKeyId: 'STS.FOREIGN', accessKeySecret: 's', securityToken: 'CAIS.foreign' };
    expectRefusal(await signedCall('/jobs/1', { credentials: foreign }), 403, 'InvalidSecurityToken');
    const { securityToken: _, ...withoutToken } = handedOut;
    expectRefusal(await signedCall('/jobs/1', { credentials: withoutToken }), 403, 'InvalidSecurityToken');
  });

  it('403 RequestTimeTooSkewed for a date more than 15 minutes off', async () => {
    const response = await signedCall('/jobs/1', { date: new Date(Date.now() - 16 * 60_000) });
    expectRefusal(response, 403, 'RequestTimeTooSkewed');
  });
});

describe('other auth types', () => {
  it('jwt is not enforced locally, and the runtime says so once', async () => {
    const jwt = await startFixtureRuntime({ templateEnv: { FIXTURE_AUTH_TYPE: 'jwt' } });
    try {
      expect((await fetch(`${jwt.runtime.url}/jobs/1`)).status).toBe(200);
      expect(
        runtimeNotices(jwt.lines).filter((notice) => notice.msg.includes('not enforced locally')),
      ).toEqual([expect.objectContaining({ level: 'warn', triggers: ['fixture-echo (jwt)'] })]);
    } finally {
      await jwt.runtime.close();
    }
  });
});
