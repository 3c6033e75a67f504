/**
 * Runs invocations for every entry point (HTTP triggers, the invoke APIs, timers, the programmatic
 * API), synchronously or in the background, and reports each one when it ends.
 */
import type { Logger } from '#shared/log.ts';
import type { LocalFunction } from './localFunction.ts';
import type { InvocationOutcome } from './outcome.ts';

export type InvocationSource = 'http' | 'invoke' | 'timer';

/** One finished invocation, for `onInvocation` (tests use it to wait for async work). */
export interface InvocationRecord {
  functionName: string;
  requestId: string;
  source: InvocationSource;
  async: boolean;
  /** Undefined when the invocation could not start (the credentials source failed): see `error`. */
  outcome: InvocationOutcome | undefined;
  error?: Error;
}

type Ended = { outcome: InvocationOutcome } | { error: Error };

export class Invocations {
  readonly #functions: readonly LocalFunction[];
  readonly #logger: Logger;
  readonly #onInvocation: (record: InvocationRecord) => void;

  constructor(
    functions: readonly LocalFunction[],
    logger: Logger,
    onInvocation: (record: InvocationRecord) => void = () => {},
  ) {
    this.#functions = functions;
    this.#logger = logger;
    this.#onInvocation = onInvocation;
  }

  /** By `functionName`, as FC's APIs name functions. */
  byFunctionName(name: string): LocalFunction | undefined {
    return this.#functions.find((fn) => fn.definition.functionName === name);
  }

  /** By `functionName`, or by resource name (`query`): for the local-only entry points. */
  byAnyName(name: string): LocalFunction | undefined {
    return this.byFunctionName(name) ?? this.#functions.find((fn) => fn.definition.resourceName === name);
  }

  /**
   * Sync: resolves with the outcome, rejects only when the invocation could not start (the function's
   * own failures are outcomes). Async: resolves at once with undefined, and the invocation runs on.
   */
  async dispatch(
    fn: LocalFunction,
    event: Buffer,
    requestId: string,
    source: InvocationSource,
    async: boolean,
  ): Promise<InvocationOutcome | undefined> {
    if (async) {
      void this.inBackground(fn, event, requestId, source);
      return undefined;
    }
    const ended = await this.#run(fn, event, requestId, source, false);
    if ('error' in ended) throw ended.error;
    return ended.outcome;
  }

  /**
   * FC's async mode: failures are logged and reported, never thrown. Callers need not wait; the
   * promise says how it ended (undefined when it could not start).
   */
  async inBackground(fn: LocalFunction, event: Buffer, requestId: string, source: InvocationSource) {
    const ended = await this.#run(fn, event, requestId, source, true);
    return 'error' in ended ? undefined : ended.outcome;
  }

  async #run(
    fn: LocalFunction,
    event: Buffer,
    requestId: string,
    source: InvocationSource,
    async: boolean,
  ): Promise<Ended> {
    let ended: Ended;
    try {
      ended = { outcome: await fn.invoke(event, requestId) };
    } catch (error) {
      ended = { error: error as Error };
    }
    const functionName = fn.definition.functionName;
    const outcome = 'outcome' in ended ? ended.outcome : undefined;
    const failure =
      'error' in ended ? ended.error.message : outcome?.ok === false ? outcome.error.errorMessage : '';
    if (failure) {
      this.#logger.warn('invocation failed', { function: functionName, requestId, source, async, failure });
    }
    this.#onInvocation({ functionName, requestId, source, async, outcome, ...ended });
    return ended;
  }
}
