/**
 * Runs inside a function instance's worker thread (started by `instance.ts` through `tsxWorker.mjs`):
 * loads the handler module once, says it is ready, then runs one invocation per message, as FC runs
 * one request at a time on an instance of a built-in runtime.
 */
import { format } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import type { FromInstance, InstanceWorkerData, ToInstance } from './instance.ts';
import type { ContextData } from './invocationContext.ts';
import type { HandlerResult, InvocationError } from './outcome.ts';

type Handler = (event: Buffer, context: ContextData & { logger: Logger }) => unknown;
type Logger = Record<(typeof LEVELS)[number], (...args: unknown[]) => void>;

const LEVELS = ['debug', 'info', 'warn', 'error', 'log'] as const;

const port = parentPort;
if (!port) throw new Error('instanceWorker.ts runs in a worker thread only');
const { moduleUrl, exportName } = workerData as InstanceWorkerData;

const loaded = await loadHandler();
port.postMessage({ type: 'ready' } satisfies FromInstance);

port.on('message', async ({ id, event, context }: ToInstance) => {
  if ('error' in loaded) {
    // The instance is useless: the runtime replaces it, so a fixed module is picked up next time.
    port.postMessage({ type: 'failed', id, error: loaded.error, broken: true } satisfies FromInstance);
    return;
  }
  try {
    const value = await loaded.handler(Buffer.from(event.buffer, event.byteOffset, event.byteLength), {
      ...context,
      logger: fcLogger(context.requestId),
    });
    port.postMessage({ type: 'done', id, result: serialise(value) } satisfies FromInstance);
  } catch (error) {
    port.postMessage({
      type: 'failed',
      id,
      error: invocationError(error),
      broken: false,
    } satisfies FromInstance);
  }
});

async function loadHandler(): Promise<{ handler: Handler } | { error: InvocationError }> {
  try {
    const module = (await import(moduleUrl)) as Record<string, unknown>;
    const handler = module[exportName];
    if (typeof handler === 'function') return { handler: handler as Handler };
    return {
      error: {
        errorMessage: `${moduleUrl} has no exported function "${exportName}"`,
        errorType: 'HandlerNotFound',
      },
    };
  } catch (error) {
    return { error: invocationError(error) };
  }
}

function serialise(value: unknown): HandlerResult {
  if (value instanceof Uint8Array) return { type: 'bytes', bytes: value };
  if (typeof value === 'string') return { type: 'text', text: value };
  // JSON.stringify gives undefined for undefined, functions and symbols: nothing to send back.
  const json: string | undefined = JSON.stringify(value);
  return json === undefined ? { type: 'none' } : { type: 'json', json };
}

function invocationError(error: unknown): InvocationError {
  if (!(error instanceof Error)) return { errorMessage: String(error), errorType: typeof error };
  return {
    errorMessage: error.message,
    errorType: error.name,
    stackTrace: (error.stack ?? '')
      .split('\n')
      .slice(1)
      .map((line) => line.trim()),
  };
}

/** `context.logger`: `<ISO time> <requestId> [level] message`, as FC prints it (docs/fc-runtime.md §5, §8). */
function fcLogger(requestId: string): Logger {
  const write =
    (level: string) =>
    (...args: unknown[]) => {
      process.stdout.write(`${new Date().toISOString()} ${requestId} [${level}] ${format(...args)}\n`);
    };
  return Object.fromEntries(LEVELS.map((level) => [level, write(level)])) as Logger;
}
