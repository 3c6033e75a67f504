import { describe, expect, it } from 'vitest';
import { httpTriggerResponse } from '#local/runtime/httpResponse.ts';
import type { HandlerResult } from '#local/runtime/outcome.ts';

const requestId = '1-req';
const ok = (result: HandlerResult) => httpTriggerResponse({ requestId, ok: true, result });
const json = (value: unknown) => ok({ type: 'json', json: JSON.stringify(value) });

describe('mapping a handler result to the HTTP response', () => {
  it('uses a response object as it is', () => {
    expect(
      json({ statusCode: 404, headers: { 'Content-Type': 'text/plain', 'X-N': 5 }, body: 'gone' }),
    ).toEqual({
      status: 404,
      headers: { 'content-type': 'text/plain', 'x-n': '5' },
      body: 'gone',
    });
  });

  it('decodes a base64 body', () => {
    const response = json({
      statusCode: 200,
      isBase64Encoded: true,
      body: Buffer.from([0, 255]).toString('base64'),
    });
    expect(response.body).toEqual(Buffer.from([0, 255]));
  });

  it('defaults headers and body', () => {
    expect(json({ statusCode: 204 })).toEqual({ status: 204, headers: {}, body: '' });
  });

  it('drops the headers a function may not set', () => {
    const response = json({
      statusCode: 200,
      headers: {
        'X-Fc-Anything': 'no',
        Connection: 'no',
        'Content-Length': '9',
        Date: 'no',
        'Keep-Alive': 'no',
        Server: 'no',
        'x-kept': 'yes',
      },
      body: '',
    });
    expect(response.headers).toEqual({ 'x-kept': 'yes' });
  });

  it.each([
    [{ hello: 'world' }, 'application/json', '{"hello":"world"}'],
    [[1, 2], 'application/json', '[1,2]'],
    [42, 'application/json', '42'],
    [null, 'application/json', 'null'],
  ])('answers 200 JSON for %j', (value, type, body) => {
    const response = json(value);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe(type);
    expect(response.body.toString()).toBe(body);
  });

  it('answers 200 text for a string, octets for a Buffer, empty for nothing', () => {
    expect(ok({ type: 'text', text: 'hi' })).toMatchObject({
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
    const bytes = ok({ type: 'bytes', bytes: new Uint8Array([1, 2]) });
    expect(bytes).toMatchObject({ status: 200, headers: { 'content-type': 'application/octet-stream' } });
    expect(bytes.body).toEqual(Buffer.from([1, 2]));
    expect(ok({ type: 'none' })).toMatchObject({ status: 200, headers: {} });
  });

  it.each([
    [{ statusCode: 99 }, /statusCode must be/],
    [{ statusCode: '200' }, /statusCode must be/],
    [{ statusCode: 200, body: { a: 1 } }, /body must be a string/],
    [{ statusCode: 200, headers: 'x' }, /headers must be an object/],
    [{ statusCode: 200, headers: { 'x-big': 'a'.repeat(8200) } }, /over FC's 8192/],
    [{ statusCode: 200, headers: { 'x-bad': 'line\nbreak' } }, /bad response header "x-bad"/],
    [{ statusCode: 200, headers: { 'bad name': 'x' } }, /bad response header "bad name"/],
  ])('answers 502 BadResponse for %j', (value, message) => {
    const response = json(value);
    expect(response.status).toBe(502);
    const body = JSON.parse(response.body.toString());
    expect(body).toEqual({
      Code: 'BadResponse',
      Message: expect.stringMatching(message),
      RequestId: requestId,
    });
  });

  it("answers 502 with FC's error body when the function failed", () => {
    const error = { errorMessage: 'boom', errorType: 'TypeError', stackTrace: ['at x'] };
    const response = httpTriggerResponse({ requestId, ok: false, error });
    expect(response.status).toBe(502);
    expect(response.headers['x-fc-error-type']).toBe('UnhandledInvocationError');
    expect(JSON.parse(response.body.toString())).toEqual(error);
  });
});
