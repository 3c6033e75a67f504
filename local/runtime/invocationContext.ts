/**
 * The `context` FC 3.0 gives a Node.js handler, minus `logger`: this part crosses
 * into the function's worker as plain data, and the worker adds the logger (see `instanceWorker.mjs`).
 */
import { randomBytes } from 'node:crypto';
import type { IssuedCredentials } from './credentials.ts';
import type { FunctionDefinition } from './serverlessYaml.ts';

export interface ContextData {
  requestId: string;
  /** The role's STS credentials; `{}` for a function without a role, as FC gives it. */
  credentials:
    | { accessKeyId: string; accessKeySecret: string; securityToken: string }
    | Record<string, never>;
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
  invocation: {
    requestId: string;
    /** Undefined for a function without a role. */
    credentials: IssuedCredentials | undefined;
    region: string;
    accountId: string;
  },
): ContextData {
  return {
    requestId: invocation.requestId,
    credentials: contextCredentials(invocation.credentials),
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

function contextCredentials(credentials: IssuedCredentials | undefined): ContextData['credentials'] {
  if (!credentials) return {};
  const { accessKeyId, accessKeySecret, securityToken } = credentials;
  return { accessKeyId, accessKeySecret, securityToken };
}
