/**
 * `createFcHandler`: wraps a function's logic in the middy pipeline every function shares, and gives
 * it the FC deadline. The logic receives a decoded `FcEvent` and returns a `FunctionReply`; the pipeline
 * logs, renders the reply for the caller, and turns errors into replies that leak nothing.
 */
import middy from '@middy/core';
import { AppError } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';
import { type FcContext, withDeadline } from './context.ts';
import type { FcEvent } from './event.ts';
import { decodeEvent, type HandlerContext, logInvocation, renderReply } from './middlewares.ts';
import type { FunctionReply } from './reply.ts';

export type FcLogic = (
  event: FcEvent,
  context: HandlerContext,
  options: { signal: AbortSignal },
) => Promise<FunctionReply>;

export interface FcHandlerOptions {
  logger: Logger;
  /** Reply this long before FC's timeout, instead of being killed without a reply. */
  timeoutEarlyMs?: number;
  now?: () => number;
}

export class FunctionTimeoutError extends AppError {
  override name = 'FunctionTimeoutError';
  constructor() {
    super('FunctionTimeout', 'the request took too long; try again', { statusCode: 504, expose: true });
  }
}

export type FcHandler = (event: unknown, context: FcContext) => Promise<unknown>;

export function createFcHandler(logic: FcLogic, options: FcHandlerOptions): FcHandler {
  const now = options.now ?? Date.now;
  const pipeline = middy({
    timeoutEarlyInMillis: options.timeoutEarlyMs ?? 500,
    timeoutEarlyResponse: () => {
      throw new FunctionTimeoutError();
    },
  })
    .use([decodeEvent(), logInvocation(options.logger, now), renderReply()])
    // biome-ignore lint/suspicious/noExplicitAny: middy types the handler with Lambda's context; ours is FC's.
    .handler(logic as any);
  // biome-ignore lint/suspicious/noExplicitAny: see above.
  return (event, context) => pipeline(event, withDeadline(context, now(), now) as any);
}
