import { describe, expect, it } from 'vitest';
import { AicontentError } from '#shared/aicontent/errors.ts';
import { AppError, ConfigError, InvalidInputError } from '#shared/errors.ts';
import { errorReply, retryAfterSeconds, toHttpResponse } from '#shared/fc/reply.ts';

describe('errorReply', () => {
  it('says what was wrong with the request for exposed errors', () => {
    expect(errorReply(new InvalidInputError('bad id', 'InvalidJobId'), 'R1')).toEqual({
      statusCode: 400,
      body: { error: { code: 'InvalidJobId', message: 'bad id', requestId: 'R1' } },
      headers: { 'cache-control': 'no-store' },
    });
  });

  it.each([
    new Error('db password is hunter2'),
    new ConfigError('JOB_STORE_URL is wrong'),
    'a string',
    undefined,
  ])('leaks nothing of %s', (error) => {
    expect(errorReply(error, 'R2')).toMatchObject({
      statusCode: 500,
      body: { error: { code: 'InternalError', message: 'internal error', requestId: 'R2' } },
    });
  });

  it('gives Retry-After for throttling, from the upstream hint or 1 s', () => {
    const throttled = new AicontentError({ kind: 'gateway', code: 'Throttling.User', retryAfterMs: 2500 });
    expect(errorReply(throttled, 'R').headers).toMatchObject({ 'retry-after': '3' });
    const unavailable = new AicontentError({ kind: 'network' });
    expect(errorReply(unavailable, 'R')).toMatchObject({ statusCode: 503, headers: { 'retry-after': '1' } });
  });

  it('adds the headers an error carries', () => {
    const error = new AppError('MethodNotAllowed', 'no', { statusCode: 405, headers: { allow: 'GET' } });
    expect(errorReply(error, 'R').headers).toEqual({ 'cache-control': 'no-store', allow: 'GET' });
  });
});

describe('toHttpResponse', () => {
  it('returns the full struct FC expects', () => {
    expect(toHttpResponse({ statusCode: 201, body: { a: 1 }, headers: { x: 'y' } })).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json; charset=utf-8', x: 'y' },
      isBase64Encoded: false,
      body: '{"a":1}',
    });
  });

  it('sends no body and no content type with a 204', () => {
    const reply = { statusCode: 204, body: { untracked: true }, headers: { 'cache-control': 'no-store' } };
    expect(toHttpResponse(reply)).toEqual({
      statusCode: 204,
      headers: { 'cache-control': 'no-store' },
      isBase64Encoded: false,
      body: '',
    });
  });
});

describe('retryAfterSeconds', () => {
  it('rounds up to whole seconds, at least 1', () => {
    expect([0, 1, 999, 1000, 1001].map(retryAfterSeconds)).toEqual([1, 1, 1, 1, 2]);
  });
});
