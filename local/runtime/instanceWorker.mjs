// @ts-check
/**
 * Runs inside a function instance's worker thread (started by `instance.ts`): loads the handler module
 * once, says it is ready, then runs one invocation per message, as FC runs one request at a time on an
 * instance of a built-in runtime. What the function writes to stdout and stderr during an invocation
 * is also kept (its last `LOG_TAIL_CHARS`) and sent back with the outcome, for `x-fc-log-type: Tail`.
 *
 * Plain JavaScript on purpose: in bundle mode nothing but Node runs in the worker (no tsx loader), so a
 * bundle that plain Node 20 cannot load fails here as it would on FC. Source mode loads this file
 * through `sourceWorker.mjs`, which registers tsx first.
 *
 * @import { FromInstance, InstanceWorkerData, ToInstance } from './instance.ts'
 * @import { ContextData } from './invocationContext.ts'
 * @import { HandlerResult, InvocationError } from './outcome.ts'
 */
import { format } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';

/** @typedef {Record<(typeof LEVELS)[number], (...args: unknown[]) => void>} Logger */
/** @typedef {(event: Buffer, context: ContextData & { logger: Logger }) => unknown} Handler */

const LEVELS = /** @type {const} */ (['debug', 'info', 'warn', 'error', 'log']);
/** At least FC's 4 KB of log tail, however many bytes a character takes. */
const LOG_TAIL_CHARS = 4096;

const port = parentPort;
if (!port) throw new Error('instanceWorker.mjs runs in a worker thread only');
const { moduleUrl, exportName } = /** @type {InstanceWorkerData} */ (workerData);

/** @param {FromInstance} message */
const post = (message) => port.postMessage(message);

/** The current invocation's output, or undefined between invocations. */
/** @type {string | undefined} */
let invocationLog;
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = /** @type {typeof stream.write} */ (
    (/** @type {string | Uint8Array} */ chunk, /** @type {unknown[]} */ ...rest) => {
      if (invocationLog !== undefined) {
        invocationLog += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
        if (invocationLog.length > 4 * LOG_TAIL_CHARS) invocationLog = invocationLog.slice(-LOG_TAIL_CHARS);
      }
      return write(chunk, .../** @type {[]} */ (rest));
    }
  );
}

/** The output of the invocation that just ended: its last `LOG_TAIL_CHARS`. */
function endOfInvocationLog() {
  const log = (invocationLog ?? '').slice(-LOG_TAIL_CHARS);
  invocationLog = undefined;
  return log;
}

const loaded = await loadHandler();
post({ type: 'ready' });

port.on('message', async (/** @type {ToInstance} */ { id, event, context }) => {
  if ('error' in loaded) {
    // The instance is useless: the runtime replaces it, so a fixed module is picked up next time.
    post({ type: 'failed', id, error: loaded.error, broken: true });
    return;
  }
  invocationLog = '';
  try {
    const value = await loaded.handler(Buffer.from(event.buffer, event.byteOffset, event.byteLength), {
      ...context,
      logger: fcLogger(context.requestId),
    });
    post({ type: 'done', id, result: serialise(value), logs: endOfInvocationLog() });
  } catch (error) {
    post({ type: 'failed', id, error: invocationError(error), broken: false, logs: endOfInvocationLog() });
  }
});

/** @returns {Promise<{ handler: Handler } | { error: InvocationError }>} */
async function loadHandler() {
  try {
    const module = /** @type {Record<string, unknown>} */ (await import(moduleUrl));
    const handler = module[exportName];
    if (typeof handler === 'function') return { handler: /** @type {Handler} */ (handler) };
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

/**
 * @param {unknown} value
 * @returns {HandlerResult}
 */
function serialise(value) {
  if (value instanceof Uint8Array) return { type: 'bytes', bytes: value };
  if (typeof value === 'string') return { type: 'text', text: value };
  // JSON.stringify gives undefined for undefined, functions and symbols: nothing to send back.
  /** @type {string | undefined} */
  const json = JSON.stringify(value);
  return json === undefined ? { type: 'none' } : { type: 'json', json };
}

/**
 * @param {unknown} error
 * @returns {InvocationError}
 */
function invocationError(error) {
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

/**
 * `context.logger`: `<ISO time> <requestId> [level] message`, as FC prints it.
 *
 * @param {string} requestId
 * @returns {Logger}
 */
function fcLogger(requestId) {
  /** @param {string} level */
  const write =
    (level) =>
    (/** @type {unknown[]} */ ...args) => {
      process.stdout.write(`${new Date().toISOString()} ${requestId} [${level}] ${format(...args)}\n`);
    };
  return /** @type {Logger} */ (Object.fromEntries(LEVELS.map((level) => [level, write(level)])));
}
