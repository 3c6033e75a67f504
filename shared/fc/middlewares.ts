/**
 * The middy middlewares every function uses, each a factory with named hooks (they show in stack
 * traces and middy's profiling). They type against FC's context, not Lambda's: none of them assumes
 * a Lambda-only field.
 *
 * Order in a pipeline: `decodeEvent` → `logInvocation` → `renderReply`. On error, `renderReply`
 * turns the error into the caller's reply first, and `logInvocation` then logs it with its status.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { Logger } from '#shared/log.ts';
import type { InvocationContext } from './context.ts';
import { decodeFcEvent, type FcEvent, InvalidEventError } from './event.ts';
import { errorReply, type FunctionReply, toHttpResponse } from './reply.ts';

/** What the pipeline adds to FC's context for the handler. */
export interface HandlerContext extends InvocationContext {
  /** This invocation's logger: every line carries requestId, function and trigger. */
  log: Logger;
}

// The one place where FC's context meets middy's Lambda-typed generics.
// biome-ignore lint/suspicious/noExplicitAny: middy's Context type is AWS Lambda's; ours is FC's.
type FcRequest = Request<any, any, Error, any, { eventKind?: FcEvent['kind']; startedAt?: number }>;
// biome-ignore lint/suspicious/noExplicitAny: see FcRequest.
export type FcMiddleware = MiddlewareObj<any, any, Error, any, any>;

function triggerOf(event: FcEvent): string {
  if (event.kind === 'http') return `http ${event.request.method} ${event.request.path}`;
  if (event.kind === 'timer') return `timer ${event.triggerName}`;
  return 'invoke';
}

/** Turns FC's bytes into an `FcEvent` (400 for a malformed HTTP or timer event). */
export function decodeEvent(): FcMiddleware {
  const decodeEventBefore = (request: FcRequest) => {
    try {
      request.event = decodeFcEvent(request.event);
      request.internal.eventKind = (request.event as FcEvent).kind;
    } catch (error) {
      if (error instanceof InvalidEventError) request.internal.eventKind = error.eventKind;
      throw error;
    }
  };
  return { before: decodeEventBefore };
}

/**
 * Gives the handler a logger bound to the invocation (requestId, function, trigger) and logs one line
 * when the invocation ends, with its status and duration. Runs after `decodeEvent`.
 */
export function logInvocation(logger: Logger, now: () => number = Date.now): FcMiddleware {
  const logInvocationBefore = (request: FcRequest) => {
    request.internal.startedAt = now();
    const context = request.context as HandlerContext;
    const trigger = triggerOf(request.event as FcEvent);
    context.log = logger.child({ requestId: context.requestId, function: context.function?.name, trigger });
  };
  const finished = (request: FcRequest) => ({
    status: (request.response as { statusCode?: number } | null)?.statusCode,
    durationMs: now() - (request.internal.startedAt ?? now()),
  });
  const logInvocationAfter = (request: FcRequest) => {
    (request.context as HandlerContext).log.info('invocation done', finished(request));
  };
  const logInvocationOnError = (request: FcRequest) => {
    const context = request.context as HandlerContext;
    // A malformed event fails before `before` ran: fall back to a logger without the trigger.
    const log =
      context.log ?? logger.child({ requestId: context.requestId, function: context.function?.name });
    const fields = { ...finished(request), error: request.error };
    if ((fields.status ?? 500) >= 500) log.error('invocation failed', fields);
    else log.warn('invocation rejected', fields);
  };
  return { before: logInvocationBefore, after: logInvocationAfter, onError: logInvocationOnError };
}

/**
 * Renders the handler's `FunctionReply` (or the error) for the caller: an FC HTTP response for HTTP
 * triggers, the bare body for direct invocations. A timer invocation that failed on our side (5xx)
 * rethrows, so FC's async retry runs it again; a rejected one (4xx) would fail the same way, so it is
 * replied to.
 */
export function renderReply(): FcMiddleware {
  const render = (request: FcRequest, reply: FunctionReply) => {
    request.response = request.internal.eventKind === 'http' ? toHttpResponse(reply) : reply.body;
  };
  const renderReplyAfter = (request: FcRequest) => {
    render(request, request.response as FunctionReply);
  };
  const renderReplyOnError = (request: FcRequest) => {
    const reply = errorReply(request.error, (request.context as InvocationContext).requestId);
    if (request.internal.eventKind === 'timer' && reply.statusCode >= 500) return;
    render(request, reply);
  };
  return { after: renderReplyAfter, onError: renderReplyOnError };
}
