import { describe, expect, it } from 'vitest';
import { createLogger } from '#shared/log.ts';

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
