/**
 * The `context` FC 3.0 gives a Node.js handler (docs/fc-runtime.md §5), minus `logger`: this part crosses
 * into the function's worker as plain data, and the worker adds the logger (see `instanceWorker.mjs`).
 */
import { randomBytes } from 'node:crypto';
import type { IssuedCredentials } from './credentials.ts';
import type { FunctionDefinition } from './serverlessYaml.ts';

export interface ContextData {
  requestId: string;
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken: string };
  function: { name: string; handler: string; memory: number; timeout: number };
  service: { logProject: string; logStore: string; qualifier: string };
  region: string;
  accountId: string;
  retryCount: number;
  tracing: { openTracingSpanBaggages: Record<string, string> };
}

/** FC 3.0's shape, `1-<seconds, hex>-<8 hex>-<12 hex>` (e.g. `1-64f6cd87-5a0ca06d-dbd4c01c7a49`). */
export function newRequestId(now: number = Date.now()): string {
  const random = randomBytes(10).toString('hex');
  return `1-${Math.floor(now / 1000).toString(16)}-${random.slice(0, 8)}-${random.slice(8)}`;
}

export function contextData(
  definition: FunctionDefinition,
  invocation: { requestId: string; credentials: IssuedCredentials; region: string; accountId: string },
): ContextData {
  const { accessKeyId, accessKeySecret, securityToken } = invocation.credentials;
  return {
    requestId: invocation.requestId,
    credentials: { accessKeyId, accessKeySecret, securityToken },
    function: {
      name: definition.functionName,
      handler: definition.handler,
      memory: definition.memorySize,
      timeout: definition.timeout,
    },
    service: { logProject: definition.logProject, logStore: definition.logStore, qualifier: 'LATEST' },
    region: invocation.region,
    accountId: invocation.accountId,
    retryCount: 0,
    tracing: { openTracingSpanBaggages: {} },
  };
}
