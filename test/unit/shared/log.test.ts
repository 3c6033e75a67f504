import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AicontentError } from '#shared/aicontent/errors.ts';
import { createLogger, maskSecrets } from '#shared/log.ts';

function capture(level?: 'debug' | 'info' | 'warn' | 'error') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    write: (line) => lines.push(JSON.parse(line)),
    now: () => new Date('2026-11-25T00:00:00Z'),
  });
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, msg and fields', () => {
    const { logger, lines } = capture();
    logger.child({ requestId: 'r1', function: 'f' }).info('hello', { n: 1 });
    expect(lines).toEqual([
      { time: '2026-11-25T00:00:00.000Z', level: 'info', msg: 'hello', requestId: 'r1', function: 'f', n: 1 },
    ]);
  });

  it('drops lines below the level', () => {
    const { logger, lines } = capture('warn');
    logger.debug('a');
    logger.info('b');
    logger.warn('c');
    logger.error('d');
    expect(lines.map((line) => line.msg)).toEqual(['c', 'd']);
  });

  it('redacts secret-looking fields at any depth, in child fields too', () => {
    const { logger, lines } = capture();
    logger.child({ securityToken: 'T1' }).info('x', {
      credentials: { accessKeyId: 'id', accessKeySecret: 'S1' },
      nested: [{ password: 'P1', Authorization: 'A1' }],
    });
    const text = JSON.stringify(lines);
    for (const secret of ['T1', 'S1', 'P1', 'A1']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ securityToken: '[redacted]', nested: [{ password: '[redacted]' }] });
  });

  it('logs errors with their name, message and own fields', () => {
    const { logger, lines } = capture();
    const error = Object.assign(new Error('boom'), { toJSON: () => ({ code: 'X' }) });
    logger.error('failed', { error });
    expect(lines[0]?.error).toMatchObject({
      name: 'Error',
      message: 'boom',
      code: 'X',
      stack: expect.any(String),
    });
  });

  it('logs errors without their stack below the error level', () => {
    const { logger, lines } = capture('debug');
    const error = Object.assign(new Error('no such job'), { code: 'JobNotFound' });
    logger.warn('invocation rejected', { error });
    logger.info('x', { error });
    for (const line of lines)
      expect(line.error).toEqual({ name: 'Error', message: 'no such job', code: 'JobNotFound' });
  });

  it('logs what failed underneath an error: its causes, with their codes, never their stacks', () => {
    const { logger, lines } = capture();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const error = new Error('aicontent is unavailable', {
      cause: new Error('fetch failed', { cause: refused }),
    });
    logger.error('failed', { error });
    expect(lines[0]?.error).toMatchObject({
      message: 'aicontent is unavailable',
      stack: expect.any(String),
      cause: { message: 'fetch failed', cause: { code: 'ECONNREFUSED', message: refused.message } },
    });
    expect(JSON.stringify((lines[0]?.error as { cause?: unknown } | undefined)?.cause)).not.toContain(
      'stack',
    );
  });

  it('stops at a few causes, even when an error is its own cause', () => {
    const { logger, lines } = capture();
    const error: Error & { cause?: unknown } = new Error('loop');
    error.cause = error;
    logger.warn('x', { error });
    expect(JSON.stringify(lines[0])).toMatch(/"cause":\{"name":"Error","message":"loop","cause"/);
  });
});

describe('secrets inside logged strings', () => {
  const TOKEN = 'CAISfakeSecurityToken0123456789+/abc==';
  const SECRET = 'FakeAccessKeySecret000000000000';
  const HEX = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0a1b2';

  it('masks the token of a string-to-sign an upstream error message echoed, in the error’s fields and stack', () => {
    const echoed =
      'The request signature does not conform to Aliyun standards. server string to sign is: GET\n' +
      `/api/v1/x\ninferenceJobId=20\nhost:aicontent.aliyuncs.com\nx-acs-security-token:${TOKEN}\n` +
      'x-acs-signature-nonce:n1\n';
    const error = new AicontentError({ kind: 'gateway', code: 'SignatureDoesNotMatch', errMessage: echoed });
    const plain = new Error(`upstream said: ${echoed}`);
    const { logger, lines } = capture();
    logger.error('poll failed', { error, plain });
    const text = JSON.stringify(lines);
    expect(text).not.toContain(TOKEN);
    expect(text).toContain('x-acs-security-token:[redacted]');
    // What is not a secret stays readable.
    expect(text).toContain('The request signature does not conform to Aliyun standards');
    expect(text).toContain('x-acs-signature-nonce:n1');
  });

  it.each([
    [
      'an Authorization header value',
      `Authorization: ACS3-HMAC-SHA256 Credential=LTAI5tFAKE,SignedHeaders=host;x-acs-date,Signature=${HEX}`,
      ['LTAI5tFAKE', HEX],
    ],
    ['a header object, inspected', inspect({ authorization: `FC LTAI5tFAKE:${HEX}` }), ['LTAI5tFAKE', HEX]],
    ['an FC security token header', `{"x-fc-security-token":"${TOKEN}","x-fc-date":"now"}`, [TOKEN]],
    ['an ACS security token header', `x-acs-security-token: ${TOKEN}`, [TOKEN]],
    ['a signature in a query string', `GET /?Action=X&Signature=${HEX}&Timestamp=1`, [HEX]],
    ['a v1 webhook signature', `x-aicontent-jobs-signature: sha256=${HEX}`, [HEX]],
    ['a v2 webhook signature', `got v2=${HEX}, expected something else`, [HEX]],
    [
      'an AccessKey secret, inspected',
      inspect({ accessKeyId: 'LTAI5tFAKE', accessKeySecret: SECRET }),
      [SECRET],
    ],
    ['an AccessKey secret in JSON', `{"AccessKeySecret":"${SECRET}"}`, [SECRET]],
    [
      'a password in a URL',
      `connect redis://user:${SECRET}@r-fake.redis.rds.aliyuncs.com:6379 failed`,
      [SECRET],
    ],
  ])('masks %s', (_, text, secrets) => {
    const masked = maskSecrets(text);
    for (const secret of secrets) expect(masked).not.toContain(secret);
    expect(masked).toContain('[redacted]');
    const { logger, lines } = capture();
    logger.warn('x', { message: text, nested: [{ detail: text }] });
    for (const secret of secrets) expect(JSON.stringify(lines)).not.toContain(secret);
  });

  it('leaves ordinary text alone', () => {
    for (const text of [
      'could not notify webhook https://hooks.example.test/h: the target refused the notification (HTTP 404)',
      'no terminal state after 200 polls (MAX_POLL_ATTEMPTS)',
      'the request signature does not conform',
      'https://example.test/a/b?x=1',
    ]) {
      expect(maskSecrets(text)).toBe(text);
    }
  });

  it('never lets a token through whatever surrounds its header', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9+/=]{8,64}$/);
    const around = fc.string({ maxLength: 20 }).filter((text) => !/[a-z0-9+/=]$/i.test(text));
    const separator = fc.constantFrom(':', ': ', '=', '":"', "': '", ' = ');
    const name = fc.constantFrom(
      'x-acs-security-token',
      'X-Fc-Security-Token',
      'securityToken',
      'accessKeySecret',
    );
    fc.assert(
      fc.property(around, name, separator, token, around, (before, header, sep, value, after) => {
        const masked = maskSecrets(`${before}${header}${sep}${value}\n${after}`);
        expect(masked).toContain(`${header}${sep}[redacted]`);
      }),
    );
  });
});
