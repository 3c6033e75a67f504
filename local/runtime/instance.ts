/**
 * One function instance: a worker thread with its own module state and its own `process.env` (the
 * Worker `env` option), as separate FC instances have. It runs one invocation at a time.
 *
 * An invocation that outlives the function's timeout gets FC's timeout error and the worker is
 * terminated (which stops even a busy loop); so is a worker that crashes. The pool then starts a fresh
 * instance for the next invocation, as FC does.
 */
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { Logger } from '#shared/log.ts';
import type { RuntimeMode } from './handlerModule.ts';
import type { ContextData } from './invocationContext.ts';
import type { HandlerResult, InvocationError } from './outcome.ts';

export interface InstanceWorkerData {
  /** `file:` URL of the handler module. */
  moduleUrl: string;
  exportName: string;
}

export interface ToInstance {
  id: number;
  event: Uint8Array;
  context: ContextData;
}

export type FromInstance =
  | { type: 'ready' }
  /** `logs`: the end of what the function wrote to stdout and stderr during the invocation. */
  | { type: 'done'; id: number; result: HandlerResult; logs: string }
  /** `broken`: the instance cannot serve anything (its module failed to load). */
  | { type: 'failed'; id: number; error: InvocationError; broken: boolean; logs?: string };

export interface InstanceOptions extends InstanceWorkerData {
  /** `bundle`: plain Node runs the worker and the handler; `source`: tsx's loader is registered first. */
  mode: RuntimeMode;
  /** The instance's whole environment: nothing is inherited from the runtime's process. */
  env: Record<string, string>;
  /** Seconds, from s.yaml. */
  timeout: number;
  /** Receives each line the function writes to stdout or stderr. */
  output: (line: string) => void;
  /** The runtime's own notices (an instance that crashed). */
  logger: Logger;
}

/** `logs`: see `FromInstance`; none when the instance timed out or crashed. */
export type InstanceOutcome =
  | { ok: true; result: HandlerResult; logs: string }
  | { ok: false; error: InvocationError; logs?: string };

/** Starting (loading the handler module) has its own budget: FC does not count it in the timeout. */
const START_TIMEOUT_MS = 30_000;

const ENTRY: Record<RuntimeMode, URL> = {
  bundle: new URL('./instanceWorker.mjs', import.meta.url),
  source: new URL('./sourceWorker.mjs', import.meta.url),
};

export class Instance {
  readonly #worker: Worker;
  readonly #timeoutSeconds: number;
  #nextId = 0;
  /** False once the worker is terminated, crashed or unable to load its module. */
  #usable = true;

  private constructor(worker: Worker, timeoutSeconds: number, logger: Logger) {
    this.#worker = worker;
    this.#timeoutSeconds = timeoutSeconds;
    // Always listened to: an error thrown by the function after it returned (a stray timer, an
    // unhandled rejection) ends the worker, and must not end the runtime with it.
    worker.on('error', (error) => {
      this.#usable = false;
      logger.error('instance crashed', { error });
    });
    worker.on('exit', () => {
      this.#usable = false;
    });
  }

  /** Starts a worker and waits until the handler module is loaded (or failed to load). */
  static async start(options: InstanceOptions): Promise<Instance> {
    const workerData: InstanceWorkerData = { moduleUrl: options.moduleUrl, exportName: options.exportName };
    // execArgv is emptied so that the runtime's own loader flags (vitest's, tsx's) do not leak in.
    const worker = new Worker(ENTRY[options.mode], {
      workerData,
      env: options.env,
      execArgv: [],
      stdout: true,
      stderr: true,
    });
    for (const stream of [worker.stdout, worker.stderr]) {
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', options.output);
    }
    const instance = new Instance(worker, options.timeout, options.logger);
    await instance.#settle(START_TIMEOUT_MS, (message) => (message.type === 'ready' ? true : undefined), {
      timeout: () => new Error(`the instance did not load its handler within ${START_TIMEOUT_MS / 1000} s`),
      crash: (why) => new Error(`the instance stopped while loading its handler: ${why}`),
    });
    return instance;
  }

  get usable(): boolean {
    return this.#usable;
  }

  async invoke(event: Buffer, context: ContextData): Promise<InstanceOutcome> {
    const id = this.#nextId++;
    const settled = this.#settle<InstanceOutcome>(
      this.#timeoutSeconds * 1000,
      (message) => {
        if (message.type === 'done' && message.id === id) {
          return { ok: true, result: message.result, logs: message.logs };
        }
        if (message.type !== 'failed' || message.id !== id) return undefined;
        if (message.broken) this.#discard();
        return {
          ok: false,
          error: message.error,
          ...(message.logs === undefined ? {} : { logs: message.logs }),
        };
      },
      {
        // FC's words, minus the memory figure it appends (`(maxMemoryUsage: 47.28MB)`).
        timeout: () => ({
          ok: false,
          error: { errorMessage: `Function timed out after ${this.#timeoutSeconds} seconds` },
        }),
        crash: (why) => ({
          ok: false,
          error: {
            errorMessage: `The function instance stopped unexpectedly: ${why}`,
            errorType: 'InstanceCrash',
          },
        }),
      },
    );
    this.#worker.postMessage({ id, event, context } satisfies ToInstance);
    return settled;
  }

  async terminate(): Promise<void> {
    this.#usable = false;
    await this.#worker.terminate();
  }

  /**
   * Waits for the message `accept` turns into a value, or for the time limit or the worker's death,
   * whose values come from `otherwise` (an Error there rejects). Either of the last two ends the worker.
   */
  #settle<T>(
    limitMs: number,
    accept: (message: FromInstance) => T | undefined,
    otherwise: { timeout: () => T | Error; crash: (why: string) => T | Error },
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (value: T | Error) => {
        clearTimeout(timer);
        this.#worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      const onMessage = (message: FromInstance) => {
        const value = accept(message);
        if (value !== undefined) finish(value);
      };
      const onError = (error: Error) => finish(otherwise.crash(`${error.name}: ${error.message}`));
      const onExit = (code: number) => finish(otherwise.crash(`the worker exited with code ${code}`));
      const timer = setTimeout(() => {
        this.#discard();
        finish(otherwise.timeout());
      }, limitMs);
      this.#worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  }

  #discard(): void {
    this.terminate().catch(() => {});
  }
}
