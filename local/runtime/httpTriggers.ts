/**
 * Serves the functions' HTTP triggers. A function's trigger is reachable at `/http/{functionName}/...`
 * (the function sees the path after that prefix), and one function's trigger is also served at the
 * root of the port, as its trigger URL is on FC: the only function with an HTTP trigger, or the one
 * named by `rootFunction` when there are several. The invoke paths (`invokeRoutes.ts`) take precedence
 * at the root.
 *
 * `authType: function` is enforced as FC enforces it (`triggerAuth.ts`); `jwt` is not (the runtime says
 * so when it starts). Methods not in the trigger's `methods` get 403, as on FC.
 */
import type { IncomingMessage } from 'node:http';
import { refusalResponse } from './authErrors.ts';
import { decodePath, httpEventV1, triggerDomain } from './httpEvent.ts';
import { httpTriggerResponse } from './httpResponse.ts';
import type { Invocations } from './invocations.ts';
import { isAsyncInvocation, readBody } from './limits.ts';
import type { LocalFunction } from './localFunction.ts';
import { ACCEPTED, apiError, type RuntimeResponse, withHeaders } from './responses.ts';
import { type HttpTriggerDefinition, isHttpTrigger } from './serverlessYaml.ts';
import { type TriggerKeys, triggerAuthRefusal } from './triggerAuth.ts';

export const HTTP_PREFIX = '/http/';

export interface HttpTarget {
  fn: LocalFunction;
  trigger: HttpTriggerDefinition;
  /** The path the function sees: the raw path with any `/http/{name}` prefix taken off. */
  rawPath: string;
}

export function httpTriggerOf(fn: LocalFunction): HttpTriggerDefinition | undefined {
  return fn.definition.triggers.find(isHttpTrigger);
}

/** The function serving a path, or the error to respond with. */
export function httpTarget(
  rawPath: string,
  invocations: Invocations,
  root: LocalFunction | undefined,
  requestId: string,
): HttpTarget | RuntimeResponse {
  if (rawPath.startsWith(HTTP_PREFIX)) {
    const slash = rawPath.indexOf('/', HTTP_PREFIX.length);
    const name = decodePath(rawPath.slice(HTTP_PREFIX.length, slash < 0 ? undefined : slash));
    const fn = invocations.byFunctionName(name);
    if (!fn) return apiError(404, 'FunctionNotFound', `function '${name}' does not exist`, requestId);
    const trigger = httpTriggerOf(fn);
    if (!trigger) {
      return apiError(404, 'TriggerNotFound', `function '${name}' has no HTTP trigger`, requestId);
    }
    return { fn, trigger, rawPath: slash < 0 ? '/' : rawPath.slice(slash) };
  }
  const trigger = root && httpTriggerOf(root);
  if (!root || !trigger) {
    return apiError(
      400,
      'PathNotSupported',
      `no function is served at the root; use ${HTTP_PREFIX}{functionName}/... or /invoke/{functionName}`,
      requestId,
    );
  }
  return { fn: root, trigger, rawPath };
}

export interface ReceivedHttp {
  request: IncomingMessage;
  /** The path as received (what a signature covers), still encoded. */
  rawPath: string;
  rawQuery: string;
  requestId: string;
  receivedAt: number;
  accountId: string;
}

export async function serveHttpTrigger(
  target: HttpTarget,
  received: ReceivedHttp,
  deps: { invocations: Invocations; triggerKeys: TriggerKeys },
): Promise<RuntimeResponse> {
  const { request, requestId } = received;
  const method = request.method ?? 'GET';
  const body = await readBody(request);
  if (target.trigger.authType === 'function') {
    const refusal = triggerAuthRefusal(
      {
        method,
        rawPath: received.rawPath,
        rawQuery: received.rawQuery,
        rawHeaders: request.rawHeaders,
        body,
      },
      deps.triggerKeys,
      received.receivedAt,
    );
    if (refusal) return refusalResponse(refusal, requestId);
  }
  const { methods } = target.trigger;
  if (methods && !methods.includes(method)) {
    // FC refuses a method the trigger does not list with 403.
    const refusal = apiError(
      403,
      'MethodNotAllowed',
      `the HTTP trigger does not accept ${method}`,
      requestId,
    );
    return withHeaders(refusal, { allow: methods.join(', ') });
  }
  const event = httpEventV1({
    method,
    rawPath: target.rawPath,
    rawQuery: received.rawQuery,
    rawHeaders: request.rawHeaders,
    body,
    protocol: `HTTP/${request.httpVersion}`,
    sourceIp: (request.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
    requestId,
    accountId: received.accountId,
    domainName: triggerDomain(target.fn.definition.functionName, target.trigger.name, target.fn.region),
    receivedAt: received.receivedAt,
  });
  const payload = Buffer.from(JSON.stringify(event));
  const outcome = await deps.invocations.dispatch(
    target.fn,
    payload,
    requestId,
    'http',
    isAsyncInvocation(request),
  );
  return outcome ? httpTriggerResponse(outcome) : ACCEPTED;
}
