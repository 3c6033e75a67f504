import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BadHttpRequestError,
  httpEventV1,
  isTextContentType,
  triggerDomain,
} from '#local/runtime/httpEvent.ts';

const base = {
  method: 'POST',
  rawPath: '/jobs/a%20b/%E4%BD%A0',
  rawQuery: 'x=1&y=two%20words&x=2&empty=&flag',
  rawHeaders: [
    'Host',
    'fn.example:9000',
    'Content-Type',
    'application/json',
    'X-Multi',
    'a',
    'x-multi',
    'b',
    'User-Agent',
    'curl/8',
  ],
  body: Buffer.from('{"k":"v"}'),
  protocol: 'HTTP/1.1',
  sourceIp: '127.0.0.1',
  requestId: '1-abc-def',
  accountId: '1234567890123456',
  domainName: 'query-http.cn-shanghai.fcapp.run',
  receivedAt: Date.parse('2024-07-12T06:44:19.123Z'),
};

describe('the v1 HTTP event', () => {
  it('has exactly the documented fields', () => {
    expect(httpEventV1(base)).toEqual({
      version: 'v1',
      rawPath: '/jobs/a%20b/%E4%BD%A0',
      body: '{"k":"v"}',
      isBase64Encoded: false,
      headers: {
        host: 'fn.example:9000',
        'content-type': 'application/json',
        'x-multi': 'a,b',
        'user-agent': 'curl/8',
      },
      queryParameters: { x: '1,2', y: 'two words', empty: '', flag: '' },
      requestContext: {
        accountId: '1234567890123456',
        domainName: 'query-http.cn-shanghai.fcapp.run',
        domainPrefix: 'query-http',
        http: {
          method: 'POST',
          path: '/jobs/a b/你',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'curl/8',
        },
        requestId: '1-abc-def',
        time: '2024-07-12T06:44:19Z',
        timeEpoch: '1720766659123',
      },
    });
  });

  it("names the trigger's domain, never the Host the client sent (nor none, for HTTP/1.0)", () => {
    const withoutHost = httpEventV1({ ...base, rawHeaders: [], protocol: 'HTTP/1.0' });
    expect(withoutHost.requestContext).toMatchObject({
      domainName: 'query-http.cn-shanghai.fcapp.run',
      domainPrefix: 'query-http',
    });
  });

  it('base64-encodes a binary body, and a text type that is not UTF-8', () => {
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe]);
    const png = httpEventV1({ ...base, rawHeaders: ['Content-Type', 'image/png'], body: bytes });
    expect(png).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
    const untyped = httpEventV1({ ...base, rawHeaders: [], body: Buffer.from('text') });
    expect(untyped).toMatchObject({ body: Buffer.from('text').toString('base64'), isBase64Encoded: true });
    const lying = httpEventV1({ ...base, rawHeaders: ['Content-Type', 'text/plain'], body: bytes });
    expect(lying.isBase64Encoded).toBe(true);
  });

  it('an empty body is empty text, whatever the type', () => {
    const event = httpEventV1({ ...base, rawHeaders: [], body: Buffer.alloc(0) });
    expect(event).toMatchObject({
      body: '',
      isBase64Encoded: false,
      headers: {},
      queryParameters: expect.any(Object),
    });
    expect(event.requestContext.http.userAgent).toBe('');
  });

  it('keeps header names as own keys, even __proto__', () => {
    const event = httpEventV1({ ...base, rawHeaders: ['__proto__', 'x'] });
    expect(Object.keys(event.headers)).toEqual(['__proto__']);
  });

  it('refuses a malformed escape in the path', () => {
    expect(() => httpEventV1({ ...base, rawPath: '/bad%zz' })).toThrow(BadHttpRequestError);
  });

  it('round-trips any body through the event (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 256 }),
        fc.constantFrom('application/json', 'image/png', 'text/plain'),
        (bytes, type) => {
          const event = httpEventV1({
            ...base,
            rawHeaders: ['Content-Type', type],
            body: Buffer.from(bytes),
          });
          const decoded = event.isBase64Encoded
            ? Buffer.from(event.body, 'base64')
            : Buffer.from(event.body, 'utf8');
          expect(decoded.equals(Buffer.from(bytes))).toBe(true);
        },
      ),
    );
  });
});

describe('isTextContentType', () => {
  it.each([
    ['text/plain', true],
    ['text/html; charset=utf-8', true],
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['application/problem+json', true],
    ['application/xml', true],
    ['image/svg+xml', true],
    ['application/x-www-form-urlencoded', true],
    ['application/javascript', true],
    ['application/octet-stream', false],
    ['image/png', false],
    ['multipart/form-data; boundary=x', false],
    ['application/jsonl', false],
    [undefined, false],
  ])('%s → %s', (type, text) => {
    expect(isTextContentType(type)).toBe(text);
  });
});

describe('triggerDomain', () => {
  it("is FC's shape, <function>-<trigger>.<region>.fcapp.run, constant per trigger", () => {
    expect(triggerDomain('aicontent-jobs-query', 'http', 'cn-shanghai')).toBe(
      'aicontent-jobs-query-http.cn-shanghai.fcapp.run',
    );
  });

  it('makes any function name a host name label', () => {
    expect(triggerDomain('svc$Legacy_Echo', 'HTTP', 'cn-hangzhou')).toBe(
      'svc-legacy-echo-http.cn-hangzhou.fcapp.run',
    );
    const long = triggerDomain('f'.repeat(80), 'http', 'cn-shanghai');
    expect(long.split('.')[0]).toHaveLength(63);
  });
});
