/**
 * The local FC 3.0 runtime: the functions of an s.yaml, each in its own worker threads, behind one
 * HTTP port that serves their HTTP triggers and the invoke APIs, with their timer triggers firing on
 * schedule. No Docker, no cloud. See local/runtime/README.md.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FAKE_ACCESS_KEY_ID, FAKE_ACCESS_KEY_SECRET } from '#local/emulator/emulator.ts';
import { RequestVerifier } from '#local/emulator/verify.ts';
import type { Env } from '#shared/config.ts';
import type { Logger } from '#shared/log.ts';
import { createCodePackages } from './codePackages.ts';
import { type CredentialsSource, HandedOutCredentials, localCredentialsSource } from './credentials.ts';
import { type HandlerModule, handlerModule, type RuntimeMode } from './handlerModule.ts';
import { httpTriggerOf } from './httpTriggers.ts';
import { newRequestId } from './invocationContext.ts';
import { type InvocationRecord, Invocations } from './invocations.ts';
import { LocalFunction, type StartedInstance } from './localFunction.ts';
import type { InvocationOutcome } from './outcome.ts';
import { requestHandler } from './requestHandler.ts';
import { runtimeLogger } from './runtimeLog.ts';
import {
  type FunctionDefinition,
  isHttpTrigger,
  isTimerTrigger,
  LOCAL_ACCOUNT_ID,
  loadServerlessYaml,
  type ServerlessYaml,
} from './serverlessYaml.ts';
import { TimerTriggers } from './timers.ts';

export interface LocalRuntimeOptions {
  /** The Serverless Devs file; `functions/` (source mode) and relative `code` dirs are found next to it. */
  sYamlPath: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** `bundle` (default) runs the built code, `source` the TypeScript: see `handlerModule.ts`. */
  mode?: RuntimeMode;
  /** Merged over every function's `environmentVariables` (e.g. AICONTENT_ENDPOINT of the emulator). */
  env?: Readonly<Record<string, string>>;
  /**
   * The permanent AccessKey pair an outside caller (the official FC 3.0 SDK, `npm run call`) may sign
   * with, besides the STS credentials handed to the functions; default the aicontent emulator's fake
   * pair, `LTAI5tEMULATORFAKEKEY0` / `EmulatorFakeSecretNotARealKey000`.
   */
  callerKey?: { accessKeyId: string; accessKeySecret: string };
  /** What `${env('X')}` in s.yaml reads; default `process.env`. */
  templateEnv?: Env;
  /** Asked for fresh STS credentials per invocation; default made-up ones (`localCredentialsSource`). */
  credentials?: CredentialsSource;
  /** `context.accountId` and `${config('AccountID')}`; default 1234567890123456. */
  accountId?: string;
  /** `context.region`; default each function's `region` in s.yaml, else cn-shanghai. */
  region?: string;
  /** Which HTTP function the root of the port serves when several have an HTTP trigger. */
  rootFunction?: string;
  /** Fire timer triggers on their schedule (default true); `fireTimer` works either way. */
  timers?: boolean;
  /** Instances per function at most (concurrent invocations beyond wait); default 8. */
  maxInstancesPerFunction?: number;
  /**
   * Gets every line: what the functions print, as printed, and the runtime's own JSON lines
   * (`runtimeLog.ts`); default `console.log`.
   */
  log?: (line: string) => void;
  /** Called when any invocation ends, sync or async. */
  onInvocation?: (record: InvocationRecord) => void;
  /**
   * Called when a function instance starts, with the whole environment it gets (the deployment
   * rehearsal holds it to s.yaml's variables and FC's own).
   */
  onInstanceStart?: (instance: StartedInstance) => void;
}

export type Payload = string | Uint8Array;

export interface LocalRuntime {
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly functions: readonly FunctionDefinition[];
  /** The functionName served at the root of the port, if any. */
  readonly rootFunction: string | undefined;
  /** Invokes by functionName or resource name, like `POST /invoke/{name}`. */
  invoke(name: string, payload: Payload, options?: { async?: false }): Promise<InvocationOutcome>;
  invoke(name: string, payload: Payload, options: { async: true }): Promise<{ requestId: string }>;
  /** Fires a timer trigger now, as its schedule would, and resolves when the invocation ends. */
  fireTimer(functionName: string, triggerName: string): Promise<InvocationOutcome | undefined>;
  close(): Promise<void>;
}

const DEFAULT_REGION = 'cn-shanghai';
const DEFAULT_MAX_INSTANCES = 8;

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  const mode = options.mode ?? 'bundle';
  const yaml = await loadServerlessYaml(options.sYamlPath, options.templateEnv ?? process.env, { accountId });
  const located = yaml.functions.map((definition) => {
    if (!definition.runtime.startsWith('nodejs')) {
      throw new Error(
        `${definition.functionName}: runtime ${definition.runtime} cannot run locally (nodejs only)`,
      );
    }
    return { definition, handler: handlerModule(definition, mode, yaml.rootDir) };
  });
  // Bundle mode runs each function's code from a copy of its own, as FC unpacks a code package.
  const packages = mode === 'bundle' ? await createCodePackages() : undefined;
  try {
    const unpacked = await Promise.all(
      located.map(async ({ definition, handler }) => ({
        definition,
        handler: packages ? await packages.unpack(definition.functionName, handler) : handler,
      })),
    );
    const runtime = await serve(yaml, unpacked, { ...options, accountId, mode }, packages?.nodePath);
    return {
      ...runtime,
      async close() {
        await runtime.close();
        await packages?.remove();
      },
    };
  } catch (error) {
    await packages?.remove();
    throw error;
  }
}

/** The functions, ready to run, behind one port, with their timers armed. */
async function serve(
  yaml: ServerlessYaml,
  ready: readonly { definition: FunctionDefinition; handler: HandlerModule }[],
  options: LocalRuntimeOptions & { accountId: string; mode: RuntimeMode },
  nodePath: string | undefined,
): Promise<LocalRuntime> {
  const output = options.log ?? ((line: string) => console.log(line));
  const logger = runtimeLogger(output);
  const { accountId, mode } = options;
  const callerKey = options.callerKey ?? {
    accessKeyId: FAKE_ACCESS_KEY_ID,
    accessKeySecret: FAKE_ACCESS_KEY_SECRET,
  };
  const handedOut = new HandedOutCredentials();
  const credentials = options.credentials ?? localCredentialsSource();
  const functions = ready.map(
    ({ definition, handler }) =>
      new LocalFunction({
        definition,
        handler,
        mode,
        nodePath,
        envOverrides: options.env ?? {},
        credentials,
        handedOut,
        region: options.region ?? definition.region ?? DEFAULT_REGION,
        accountId,
        maxInstances: options.maxInstancesPerFunction ?? DEFAULT_MAX_INSTANCES,
        output,
        logger,
        onInstanceStart: options.onInstanceStart,
      }),
  );
  const invocations = new Invocations(functions, logger, options.onInvocation);
  const root = rootFunction(functions, invocations, options.rootFunction, logger);
  noticeUnenforced(functions, logger);

  const handle = requestHandler({
    invocations,
    root,
    accountId,
    logger,
    handedOut,
    acs3Verifier: new RequestVerifier({ ...callerKey, sts: handedOut }),
    triggerKeys: { callerKey, sts: handedOut },
  });
  const server = createServer((request, response) => void handle(request, response));
  const address = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const timers = new TimerTriggers(functions, invocations);
  const stopTimers = options.timers === false ? () => {} : timers.start();

  async function invoke(name: string, payload: Payload, invokeOptions: { async?: boolean } = {}) {
    const fn = invocations.byAnyName(name);
    if (!fn) throw new Error(`FunctionNotFound: no function named ${name} in ${yaml.path}`);
    const requestId = newRequestId();
    const async = invokeOptions.async ?? false;
    return (
      (await invocations.dispatch(fn, Buffer.from(payload), requestId, 'invoke', async)) ?? { requestId }
    );
  }

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    functions: yaml.functions,
    rootFunction: root?.definition.functionName,
    invoke: invoke as LocalRuntime['invoke'],
    fireTimer: async (functionName, triggerName) => timers.fire(functionName, triggerName),
    async close() {
      stopTimers();
      server.closeAllConnections();
      await Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        ...functions.map((fn) => fn.close()),
      ]);
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** The function whose HTTP trigger the root of the port serves. */
function rootFunction(
  functions: readonly LocalFunction[],
  invocations: Invocations,
  wanted: string | undefined,
  logger: Logger,
): LocalFunction | undefined {
  const withHttp = functions.filter((fn) => httpTriggerOf(fn));
  if (wanted !== undefined) {
    const fn = invocations.byAnyName(wanted);
    if (!fn || !httpTriggerOf(fn)) {
      throw new Error(`rootFunction ${wanted} is not a function with an HTTP trigger`);
    }
    return fn;
  }
  if (withHttp.length > 1) {
    logger.warn('several functions have an HTTP trigger: none is served at the root; set rootFunction', {
      functions: withHttp.map((fn) => fn.definition.functionName),
    });
  }
  return withHttp.length === 1 ? withHttp[0] : undefined;
}

function noticeUnenforced(functions: readonly LocalFunction[], logger: Logger): void {
  const guarded = functions.flatMap((fn) => {
    const trigger = httpTriggerOf(fn);
    return trigger && trigger.authType !== 'anonymous' && trigger.authType !== 'function'
      ? [`${fn.definition.functionName} (${trigger.authType})`]
      : [];
  });
  if (guarded.length > 0) {
    logger.warn('HTTP trigger auth is not enforced locally; the deployed triggers stay authenticated', {
      triggers: guarded,
    });
  }
  const unserved = functions.flatMap((fn) =>
    fn.definition.triggers
      .filter((trigger) => !isHttpTrigger(trigger) && !isTimerTrigger(trigger))
      .map((trigger) => `${fn.definition.functionName}/${trigger.name} (${trigger.type})`),
  );
  if (unserved.length > 0) logger.warn('triggers not served locally', { triggers: unserved });
}
