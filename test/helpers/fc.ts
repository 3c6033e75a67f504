/**
 * FC-shaped test inputs: a frozen context like the one FC 3.0 hands a nodejs20 handler, and the events
 * of each trigger as the bytes FC delivers (docs/fc-runtime.md §2, §3, §5).
 */
import type { FcContext } from '#shared/fc/context.ts';

export const FAKE_CREDENTIALS = Object.freeze({
  accessKeyId: 'STS.FAKETESTKEYID',
  accessKeySecret: 'FakeTestStsSecret000000000000000',
  securityToken: 'CAIS.fake-test-token',
});

export function fcContext(overrides: Partial<FcContext> = {}): FcContext {
  return Object.freeze({
    requestId: '1-6543abcd-0123456789abcdef0123',
    credentials: { ...FAKE_CREDENTIALS },
    function: { name: 'aicontent-jobs-query', handler: 'index.handler', memory: 256, timeout: 30 },
    service: { logProject: 'test-project', logStore: 'test-logs', qualifier: 'LATEST' },
    region: 'cn-shanghai',
    accountId: '1234567890123456',
    retryCount: 0,
    ...overrides,
  });
}

export interface HttpEventInput {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** The HTTP trigger's v1 event, as a Buffer. */
export function httpEvent(input: HttpEventInput): Buffer {
  const method = input.method ?? 'GET';
  return Buffer.from(
    JSON.stringify({
      version: 'v1',
      rawPath: input.path
        .split('/')
        .map((segment) => encodeURIComponent(segment))
        .join('/'),
      headers: input.headers ?? { 'user-agent': 'test' },
      queryParameters: input.query ?? {},
      body: input.body ?? '',
      isBase64Encoded: input.isBase64Encoded ?? false,
      requestContext: {
        accountId: '1234567890123456',
        domainName: 'test.cn-shanghai.fcapp.run',
        domainPrefix: 'test',
        http: { method, path: input.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
        requestId: '1-6543abcd-0123456789abcdef0123',
        time: '2026-11-25T00:00:00Z',
        timeEpoch: '1795564800000',
      },
    }),
  );
}

export function timerEvent(triggerName = 'tick', payload = ''): Buffer {
  return Buffer.from(JSON.stringify({ triggerTime: '2026-11-25T00:00:00Z', triggerName, payload }));
}

export function invokeEvent(payload: unknown): Buffer {
  return Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
}
