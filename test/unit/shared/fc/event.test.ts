import { describe, expect, it } from 'vitest';
import { decodeFcEvent, InvalidEventError } from '#shared/fc/event.ts';
import { httpEvent, invokeEvent, timerEvent } from '#test/helpers/fc.ts';

function v1(overrides: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify({ ...JSON.parse(httpEvent({ path: '/x' }).toString()), ...overrides }));
}

describe('decodeFcEvent', () => {
  it('decodes the HTTP trigger v1 event', () => {
    const event = decodeFcEvent(
      httpEvent({
        method: 'post',
        path: '/jobs/a b',
        headers: { 'Content-Type': 'application/json', 'X-Multi': 'a,b' },
        query: { q: '1,2' },
        body: '{"a":1}',
      }),
    );
    expect(event).toEqual({
      kind: 'http',
      request: {
        method: 'POST',
        path: '/jobs/a b',
        headers: { 'content-type': 'application/json', 'x-multi': 'a,b' },
        query: { q: '1,2' },
        body: Buffer.from('{"a":1}'),
        sourceIp: '127.0.0.1',
      },
    });
  });

  it('decodes a base64 body', () => {
    const event = decodeFcEvent(
      httpEvent({ path: '/', body: Buffer.from([0, 255, 1]).toString('base64'), isBase64Encoded: true }),
    );
    expect(event.kind === 'http' && [...event.request.body]).toEqual([0, 255, 1]);
  });

  it('falls back to decoding rawPath when requestContext.http.path is absent', () => {
    const base = JSON.parse(httpEvent({ path: '/jobs/a b' }).toString());
    delete base.requestContext.http.path;
    expect(decodeFcEvent(Buffer.from(JSON.stringify(base)))).toMatchObject({
      request: { path: '/jobs/a b' },
    });
  });

  it('accepts a string or an already-parsed object, as other runtimes hand them', () => {
    expect(decodeFcEvent(httpEvent({ path: '/x' }).toString()).kind).toBe('http');
    expect(decodeFcEvent(JSON.parse(timerEvent().toString())).kind).toBe('timer');
  });

  it('decodes a timer event', () => {
    expect(decodeFcEvent(timerEvent('every1m', '{"batch":5}'))).toEqual({
      kind: 'timer',
      triggerName: 'every1m',
      triggerTime: '2026-11-25T00:00:00Z',
      payload: '{"batch":5}',
    });
  });

  it('treats anything else as a direct invocation payload', () => {
    expect(decodeFcEvent(invokeEvent({ inferenceJobId: '1' }))).toEqual({
      kind: 'invoke',
      payload: { inferenceJobId: '1' },
    });
    expect(decodeFcEvent(invokeEvent('not json'))).toEqual({ kind: 'invoke', payload: 'not json' });
    expect(decodeFcEvent(invokeEvent([1, 2]))).toEqual({ kind: 'invoke', payload: [1, 2] });
    expect(decodeFcEvent(Buffer.alloc(0))).toEqual({ kind: 'invoke', payload: '' });
    expect(decodeFcEvent(undefined)).toEqual({ kind: 'invoke', payload: undefined });
  });

  it.each([
    ['headers not an object', { headers: 'x' }, /headers must be an object/],
    ['a header not a string', { headers: { a: 1 } }, /headers.a must be a string/],
    ['query not strings', { queryParameters: { a: null } }, /queryParameters.a must be a string/],
    ['body not a string', { body: 42 }, /body must be a string/],
    ['bad base64', { body: 'a*b=', isBase64Encoded: true }, /not base64/],
    ['truncated base64', { body: 'abc', isBase64Encoded: true }, /not base64/],
    ['no method', { requestContext: { http: {} } }, /method is missing/],
    ['bad rawPath', { rawPath: '/%E0%A4%A', requestContext: { http: { method: 'GET' } } }, /rawPath/],
  ])('rejects an HTTP event with %s', (_, overrides, message) => {
    expect(() => decodeFcEvent(v1(overrides))).toThrow(InvalidEventError);
    expect(() => decodeFcEvent(v1(overrides))).toThrow(message);
  });

  it('rejects a timer event with wrong types, saying it is a timer event', () => {
    const bad = Buffer.from(JSON.stringify({ triggerTime: 1, triggerName: 'x' }));
    expect(() => decodeFcEvent(bad)).toThrow(
      expect.objectContaining({ eventKind: 'timer', statusCode: 400 }),
    );
  });
});
