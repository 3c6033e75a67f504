/**
 * Direct invocation on its three paths, sync and async: the plain one, FC 3.0 InvokeFunction signed
 * with our ACS3 signer, and FC 2.0 through the real `@alicloud/fc2` client. Signed calls use the
 * credentials the runtime handed to a function, as a function chaining another would.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvocationRecord } from '#local/runtime/invocations.ts';
import type { Credentials } from '#shared/signing/acs3.ts';
import {
  acs3Invoke,
  type FixtureRuntime,
  fixtureName,
  startFixtureRuntime,
} from '#test/helpers/localRuntime.ts';

interface FcClient {
  invokeFunction(
    serviceName: string,
    functionName: string,
    event: string | Buffer,
    headers?: Record<string, string>,
    qualifier?: string,
  ): Promise<{ headers: Record<string, string>; data: unknown }>;
}
type FcClientConstructor = new (
  accountId: string,
  config: {
    accessKeyID: string;
    accessKeySecret: string;
    securityToken?: string;
    region: string;
    endpoint: string;
  },
) => FcClient;
const FCClient = createRequire(import.meta.url)('@alicloud/fc2') as FcClientConstructor;

const ECHO = fixtureName('echo');
let fixture: FixtureRuntime;
/** Credentials the runtime handed to an invocation of echo. */
let handedOut: Credentials;

beforeAll(async () => {
  fixture = await startFixtureRuntime();
  handedOut = (await echoInvocation('who am I')).context.credentials;
});
afterAll(() => fixture.runtime.close());

interface EchoResult {
  event: string;
  context: { requestId: string; credentials: Credentials };
}

async function echoInvocation(payload: string): Promise<EchoResult> {
  const outcome = await fixture.runtime.invoke(ECHO, payload);
  if (!outcome.ok || outcome.result.type !== 'json')
    throw new Error(`echo failed: ${JSON.stringify(outcome)}`);
  return JSON.parse(outcome.result.json) as EchoResult;
}

const ended = (requestId: string | null) =>
  fixture.invocationEnded((record: InvocationRecord) => record.requestId === requestId);

function fc2Client(credentials: Credentials): FcClient {
  return new FCClient('1234567890123456', {
    accessKeyID: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
    securityToken: credentials.securityToken,
    region: 'cn-shanghai',
    endpoint: fixture.runtime.url,
  });
}

describe('runtime.invoke', () => {
  it('runs async: the request id at once, the invocation afterwards', async () => {
    const { requestId } = await fixture.runtime.invoke('echo', 'in the background', { async: true });
    expect(await ended(requestId)).toMatchObject({ source: 'invoke', async: true, outcome: { ok: true } });
  });

  it('refuses an unknown name', async () => {
    await expect(fixture.runtime.invoke('nope', '')).rejects.toThrow(
      /FunctionNotFound: no function named nope/,
    );
  });
});

describe('POST /invoke/{name}', () => {
  it('hands the body over byte for byte and answers with the result', async () => {
    const response = await fetch(`${fixture.runtime.url}/invoke/${ECHO}`, {
      method: 'POST',
      body: 'ünïcode ✓',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const echoed = (await response.json()) as EchoResult;
    expect(echoed.event).toBe('ünïcode ✓');
    expect(echoed.context.requestId).toBe(response.headers.get('x-fc-request-id'));
  });

  it('takes the resource name too', async () => {
    const response = await fetch(`${fixture.runtime.url}/invoke/echo`, { method: 'POST', body: 'x' });
    expect(((await response.json()) as EchoResult).event).toBe('x');
  });

  it('runs async: 202 at once, the invocation afterwards', async () => {
    const response = await fetch(`${fixture.runtime.url}/invoke/${ECHO}`, {
      method: 'POST',
      headers: { 'x-fc-invocation-type': 'Async' },
      body: 'later',
    });
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('');
    const record = await ended(response.headers.get('x-fc-request-id'));
    expect(record).toMatchObject({ source: 'invoke', async: true, outcome: { ok: true } });
  });

  it("answers 200 with FC's error body and x-fc-error-type when the function throws", async () => {
    const response = await fetch(`${fixture.runtime.url}/invoke/${fixtureName('thrower')}`, {
      method: 'POST',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-fc-error-type')).toBe('UnhandledInvocationError');
    expect(await response.json()).toEqual({
      errorMessage: 'boom from thrower',
      errorType: 'TypeError',
      stackTrace: expect.arrayContaining([expect.stringMatching(/^at .*handler/)]),
    });
  });

  it("404 FunctionNotFound; 400 PathNotSupported (FC's words) for anything but POST", async () => {
    const missing = await fetch(`${fixture.runtime.url}/invoke/nope`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ Code: 'FunctionNotFound' });
    const get = await fetch(`${fixture.runtime.url}/invoke/${ECHO}`);
    expect(get.status).toBe(400);
    expect(await get.json()).toMatchObject({
      Code: 'PathNotSupported',
      Message: `'GET' against '/invoke/${ECHO}' is not supported; use POST`,
    });
    expect(get.headers.get('allow')).toBe('POST');
  });
});

describe('FC 3.0 InvokeFunction (ACS3-signed)', () => {
  it('runs sync with handed-out credentials, qualifier accepted', async () => {
    const response = await acs3Invoke(fixture.runtime, {
      functionName: ECHO,
      body: '{"inferenceJobId":"j-1"}',
      credentials: handedOut,
      query: { qualifier: 'LATEST' },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as EchoResult).event).toBe('{"inferenceJobId":"j-1"}');
  });

  it('runs async', async () => {
    const response = await acs3Invoke(fixture.runtime, {
      functionName: ECHO,
      body: 'async',
      credentials: handedOut,
      async: true,
    });
    expect(response.status).toBe(202);
    expect(await ended(response.headers.get('x-fc-request-id'))).toMatchObject({
      async: true,
      outcome: { ok: true },
    });
  });

  it("runs for an outside caller signing with the local AccessKey (the emulator's fake pair)", async () => {
    const response = await acs3Invoke(fixture.runtime, {
      functionName: ECHO,
      body: 'from outside',
      credentials: {
        accessKeyId: 'LTAI5tEMULATORFAKEKEY0',
        accessKeySecret: 'EmulatorFakeSecretNotARealKey000',
      },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as EchoResult).event).toBe('from outside');
  });

  it('404 for an unknown function, once the signature is good', async () => {
    const response = await acs3Invoke(fixture.runtime, {
      functionName: 'nope',
      body: '',
      credentials: handedOut,
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ Code: 'FunctionNotFound' });
  });

  it.each([
    ['a body other than the one signed', { sentBody: '{"tampered":true}' }, 403, 'SignatureNotMatch'],
    [
      'a tampered signed header',
      {
        tamper: (h: Record<string, string>) => {
          h['x-acs-version'] = '2023-03-31';
        },
      },
      403,
      'SignatureNotMatch',
    ],
    [
      'a request without its date',
      {
        tamper: (h: Record<string, string>) => {
          delete h['x-acs-date'];
        },
      },
      400,
      'MissingRequiredHeader',
    ],
    [
      'an unsigned request',
      {
        tamper: (h: Record<string, string>) => {
          delete h.authorization;
        },
      },
      400,
      'MissingRequiredHeader',
    ],
    ['another action', { action: 'GetFunction' }, 400, 'PathNotSupported'],
    [
      'a query parameter sent twice, one of them signed',
      { query: { qualifier: 'LATEST' }, wireQuery: 'qualifier=prod&qualifier=LATEST' },
      403,
      'SignatureNotMatch',
    ],
  ])("FC's refusal for %s", async (_, change, status, code) => {
    const response = await acs3Invoke(fixture.runtime, {
      functionName: ECHO,
      body: '{"a":1}',
      credentials: handedOut,
      ...change,
    });
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({
      Code: code,
      Message: expect.any(String),
      RequestId: response.headers.get('x-fc-request-id'),
    });
  });

  it.each([
    [
      'an STS AccessKey it never handed out',
      { ...fakeSts(), accessKeyId: 'STS.NEVERSEEN' },
      'InvalidSecurityToken',
    ],
    [
      'a permanent AccessKey other than the local one',
      { accessKeyId: 'LTAI5tPERMANENT', accessKeySecret: 'x' },
      'InvalidAccessKeyID',
    ],
    [
      'a known AccessKey with the wrong secret',
      () => ({ ...handedOut, accessKeySecret: 'wrong' }),
      'SignatureNotMatch',
    ],
    [
      'the local AccessKey with the wrong secret',
      { accessKeyId: 'LTAI5tEMULATORFAKEKEY0', accessKeySecret: 'wrong' },
      'SignatureNotMatch',
    ],
  ])('403 for %s', async (_, credentials, code) => {
    const response = await acs3Invoke(fixture.runtime, {
      functionName: ECHO,
      body: '',
      credentials: typeof credentials === 'function' ? credentials() : credentials,
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ Code: code });
  });
});

describe('refusals never quote a token', () => {
  it('on the FC 3.0 path', async () => {
    const response = await acs3Invoke(fixture.runtime, {
      functionName: ECHO,
      body: '',
      credentials: { ...handedOut, accessKeySecret: 'wrong' },
    });
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ Code: 'SignatureNotMatch' });
    expect(text).toContain('x-acs-security-token:');
    expect(text).not.toContain(handedOut.securityToken ?? 'no token');
  });

  it('on the FC 2.0 path', async () => {
    const refused = await fc2Client({ ...handedOut, accessKeySecret: 'wrong' })
      .invokeFunction('svc', ECHO, 'x')
      .catch((error: unknown) => error as Error);
    expect(refused).toMatchObject({ name: 'FCSignatureNotMatchError' });
    expect((refused as Error).message).toContain('x-fc-security-token:');
    expect((refused as Error).message).not.toContain(handedOut.securityToken ?? 'no token');
  });
});

function fakeSts(): Credentials {
  return { accessKeyId: 'STS.X', accessKeySecret: 'secret', securityToken: 'token' };
}

describe('FC 2.0 path, with the real @alicloud/fc2 client', () => {
  it('invokes sync and gets the result (JSON-parsed by fc2)', async () => {
    const { data, headers } = await fc2Client(handedOut).invokeFunction('any-service', ECHO, 'via fc2');
    expect((data as EchoResult).event).toBe('via fc2');
    expect(headers['x-fc-request-id']).toBe((data as EchoResult).context.requestId);
  });

  it('invokes async, with a qualifier', async () => {
    const { data, headers } = await fc2Client(handedOut).invokeFunction(
      'svc',
      ECHO,
      Buffer.from('async via fc2'),
      { 'x-fc-invocation-type': 'Async' },
      'LATEST',
    );
    expect(data).toBe('');
    const record = await ended(headers['x-fc-request-id'] ?? null);
    expect(record).toMatchObject({ async: true, outcome: { ok: true } });
  });

  it("gets FC's error body (no throw: the status is 200) when the function throws", async () => {
    const { data, headers } = await fc2Client(handedOut).invokeFunction('svc', fixtureName('thrower'), '');
    expect(headers['x-fc-error-type']).toBe('UnhandledInvocationError');
    expect(data).toMatchObject({ errorMessage: 'boom from thrower', errorType: 'TypeError' });
  });

  it.each([
    ['the wrong secret', () => ({ ...handedOut, accessKeySecret: 'wrong' }), 'FCSignatureNotMatchError'],
    ['an AccessKey never handed out', () => fakeSts(), 'FCInvalidAccessKeyIDError'],
  ])('is refused with %s (403)', async (_, credentials, name) => {
    const attempt = fc2Client(credentials()).invokeFunction('svc', ECHO, 'x');
    await expect(attempt).rejects.toMatchObject({ name, message: expect.stringMatching(/failed with 403/) });
  });

  it('is told FunctionNotFound for an unknown function', async () => {
    await expect(fc2Client(handedOut).invokeFunction('svc', 'nope', 'x')).rejects.toMatchObject({
      name: 'FCFunctionNotFoundError',
    });
  });
});

describe('x-fc-log-type: Tail', () => {
  const SLEEPER = fixtureName('sleeper');
  const tail = (response: Response) =>
    Buffer.from(response.headers.get('x-fc-log-result') ?? '', 'base64').toString();
  const invokeSleeper = (orders: object, headers: Record<string, string> = { 'x-fc-log-type': 'Tail' }) =>
    fetch(`${fixture.runtime.url}/invoke/${SLEEPER}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(orders),
    });

  it("answers with x-fc-log-result: base64 of the invocation's log, framed as FC frames it", async () => {
    const response = await invokeSleeper({ print: ['hello', 'world'], stderr: 'on stderr\n' });
    const id = response.headers.get('x-fc-request-id');
    expect(tail(response)).toBe(
      `FC Invoke Start RequestId: ${id}\nhello\nworld\non stderr\nFC Invoke End RequestId: ${id}\n`,
    );
    // The next invocation's tail holds its own lines only.
    const next = await invokeSleeper({ print: ['again'] });
    expect(tail(next)).toContain('\nagain\n');
    expect(tail(next)).not.toContain('hello');
  });

  it('keeps the last 4 KB', async () => {
    const response = await invokeSleeper({ print: ['x'.repeat(3000), 'y'.repeat(3000)] });
    const bytes = Buffer.from(response.headers.get('x-fc-log-result') ?? '', 'base64');
    expect(bytes.length).toBe(4096);
    expect(bytes.toString()).toMatch(/^x+\ny{3000}\nFC Invoke End RequestId: \S+\n$/);
  });

  it('is sent for a failed invocation too, and not without Tail or for an async one', async () => {
    const failed = await fetch(`${fixture.runtime.url}/invoke/${fixtureName('thrower')}`, {
      method: 'POST',
      headers: { 'x-fc-log-type': 'Tail' },
    });
    expect(tail(failed)).toMatch(/^FC Invoke Start RequestId: .*\nFC Invoke End RequestId: .*\n$/);
    expect((await invokeSleeper({}, {})).headers.get('x-fc-log-result')).toBeNull();
    expect((await invokeSleeper({}, { 'x-fc-log-type': 'None' })).headers.get('x-fc-log-result')).toBeNull();
    const async = await invokeSleeper({}, { 'x-fc-log-type': 'Tail', 'x-fc-invocation-type': 'Async' });
    expect(async.status).toBe(202);
    expect(async.headers.get('x-fc-log-result')).toBeNull();
  });

  it('works on the FC 3.0 and FC 2.0 paths', async () => {
    const fc3 = await acs3Invoke(fixture.runtime, {
      functionName: SLEEPER,
      body: '{"print":["via fc3"]}',
      credentials: handedOut,
      headers: { 'x-fc-log-type': 'Tail' },
    });
    expect(tail(fc3)).toContain('\nvia fc3\n');
    const { headers } = await fc2Client(handedOut).invokeFunction('svc', SLEEPER, '{"print":["via fc2"]}', {
      'x-fc-log-type': 'Tail',
    });
    expect(Buffer.from(headers['x-fc-log-result'] ?? '', 'base64').toString()).toContain('\nvia fc2\n');
  });
});

describe('a function migrated from FC 2.0 (named <service>$<function>)', () => {
  let migrated: FixtureRuntime;
  beforeAll(async () => {
    migrated = await startFixtureRuntime({ templateEnv: { FIXTURE_PREFIX: 'svc$legacy' } });
  });
  afterAll(() => migrated.runtime.close());

  it('is reached by fc2 as service svc, function legacy-echo', async () => {
    const outcome = await migrated.runtime.invoke('echo', 'who');
    if (!outcome.ok || outcome.result.type !== 'json') throw new Error('echo failed');
    const { credentials } = (JSON.parse(outcome.result.json) as EchoResult).context;
    const client = new FCClient('1234567890123456', {
      accessKeyID: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret,
      securityToken: credentials.securityToken,
      region: 'cn-shanghai',
      endpoint: migrated.runtime.url,
    });
    const { data } = await client.invokeFunction('svc', 'legacy-echo', 'migrated');
    expect((data as EchoResult).event).toBe('migrated');
  });
});
