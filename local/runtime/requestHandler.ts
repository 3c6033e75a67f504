/**
 * The runtime's one HTTP handler: FC's request limits first, then the invoke paths (`invokeRoutes.ts`),
 * then the HTTP triggers (`httpTriggers.ts`). Every response carries `x-fc-request-id`, the id the
 * invocation's context gets too. API errors on the FC 2.0 path are worded as 2.0 words them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '#shared/log.ts';
import { BadHttpRequestError } from './httpEvent.ts';
import { httpTarget, serveHttpTrigger } from './httpTriggers.ts';
import { newRequestId } from './invocationContext.ts';
import { type InvokeDependencies, isFc2Path, matchInvokeRoute, serveInvoke } from './invokeRoutes.ts';
import { BodyTooLargeError, requestLimitViolation } from './limits.ts';
import type { LocalFunction } from './localFunction.ts';
import { apiError, fc2Dialect, type RuntimeResponse, send, withHeaders } from './responses.ts';
import type { TriggerKeys } from './triggerAuth.ts';

export interface RequestHandlerDependencies extends InvokeDependencies {
  /** The function served at the root of the port, if any. */
  root: LocalFunction | undefined;
  accountId: string;
  logger: Logger;
  /** Who may call an HTTP trigger with `authType: function`. */
  triggerKeys: TriggerKeys;
}

export function requestHandler(deps: RequestHandlerDependencies) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const receivedAt = Date.now();
    const requestId = newRequestId(receivedAt);
    let toSend: RuntimeResponse;
    try {
      toSend = await route(request, requestId, receivedAt, deps);
    } catch (error) {
      toSend = failureResponse(error, requestId, deps.logger);
    }
    send(response, isFc2Request(request) ? fc2Dialect(toSend) : toSend, requestId);
  };
}

async function route(
  request: IncomingMessage,
  requestId: string,
  receivedAt: number,
  deps: RequestHandlerDependencies,
): Promise<RuntimeResponse> {
  const violation = requestLimitViolation(request);
  if (violation) return apiError(400, 'InvalidArgument', violation, requestId);
  const url = request.url ?? '/';
  const queryAt = url.indexOf('?');
  const rawPath = queryAt < 0 ? url : url.slice(0, queryAt);
  const rawQuery = queryAt < 0 ? '' : url.slice(queryAt + 1);

  const invokeRoute = matchInvokeRoute(rawPath);
  if (invokeRoute) {
    return serveInvoke(invokeRoute, { request, rawPath, rawQuery, requestId, receivedAt }, deps);
  }
  const target = httpTarget(rawPath, deps.invocations, deps.root, requestId);
  if ('status' in target) return target;
  const { accountId } = deps;
  return serveHttpTrigger(target, { request, rawPath, rawQuery, requestId, receivedAt, accountId }, deps);
}

function isFc2Request(request: IncomingMessage): boolean {
  return isFc2Path((request.url ?? '/').split('?')[0] ?? '/');
}

function failureResponse(error: unknown, requestId: string, logger: Logger): RuntimeResponse {
  if (error instanceof BodyTooLargeError) {
    // The rest of the body is not read: the connection cannot be reused.
    return withHeaders(apiError(400, 'EntityTooLarge', error.message, requestId), { connection: 'close' });
  }
  if (error instanceof BadHttpRequestError) return apiError(400, 'InvalidArgument', error.message, requestId);
  logger.error('request failed', { requestId, error });
  return apiError(
    500,
    'InternalServerError',
    `the local runtime failed: ${(error as Error).message}`,
    requestId,
  );
}
