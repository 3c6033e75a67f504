/**
 * One function of s.yaml, ready to invoke: it hands each invocation fresh credentials and an FC-shaped
 * context, and runs it on one of the function's instances.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Logger } from '#shared/log.ts';
import type { CredentialsSource, HandedOutCredentials, IssuedCredentials } from './credentials.ts';
import { FunctionPool } from './functionPool.ts';
import type { HandlerModule, RuntimeMode } from './handlerModule.ts';
import { Instance } from './instance.ts';
import { contextData } from './invocationContext.ts';
import type { InvocationOutcome } from './outcome.ts';
import type { FunctionDefinition } from './serverlessYaml.ts';

export interface LocalFunctionOptions {
  definition: FunctionDefinition;
  /** Where the handler is (see `handlerModule.ts`); in bundle mode, in its unpacked copy. */
  handler: HandlerModule;
  mode: RuntimeMode;
  /** `NODE_PATH` (bundle mode): where `require` finds the modules FC provides (`codePackages.ts`). */
  nodePath?: string | undefined;
  /** Merged over the function's `environmentVariables`. */
  envOverrides: Readonly<Record<string, string>>;
  credentials: CredentialsSource;
  handedOut: HandedOutCredentials;
  region: string;
  accountId: string;
  maxInstances: number;
  /** Receives each line the function prints. */
  output: (line: string) => void;
  /** The runtime's own notices. */
  logger: Logger;
  /** Told of each instance started, with its whole environment. */
  onInstanceStart?: ((instance: StartedInstance) => void) | undefined;
}

/** An instance as it starts: what `onInstanceStart` is told. */
export interface StartedInstance {
  functionName: string;
  /** Every variable the instance's `process.env` starts with. */
  env: Readonly<Record<string, string>>;
}

export class LocalFunction {
  readonly definition: FunctionDefinition;
  readonly #options: LocalFunctionOptions;
  readonly #pool: FunctionPool;

  constructor(options: LocalFunctionOptions) {
    this.definition = options.definition;
    this.#options = options;
    this.#pool = new FunctionPool(() => this.#startInstance(), options.maxInstances);
  }

  /** Rejects only when the credentials source fails; the function's own failures are outcomes. */
  async invoke(event: Buffer, requestId: string): Promise<InvocationOutcome> {
    const { region, accountId } = this.#options;
    const credentials = await this.#roleCredentials();
    const context = contextData(this.definition, { requestId, credentials, region, accountId });
    return { requestId, ...(await this.#pool.invoke(event, context)) };
  }

  /** `context.region`, and the region of the function's trigger domains. */
  get region(): string {
    return this.#options.region;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }

  /**
   * Fresh STS credentials of the function's role, or none when it has no role: FC then hands the
   * function nothing to sign with (an empty `context.credentials`), and neither does this runtime.
   */
  async #roleCredentials(): Promise<IssuedCredentials | undefined> {
    if (this.definition.role === undefined) return undefined;
    const credentials = await this.#options.credentials();
    this.#options.handedOut.remember(credentials, Date.now());
    return credentials;
  }

  /** FC also puts the role's credentials in each instance's environment when it starts. */
  async #startInstance(): Promise<Instance> {
    const { handler, output, logger, mode, onInstanceStart } = this.#options;
    const env = this.#instanceEnv(await this.#roleCredentials());
    onInstanceStart?.({ functionName: this.definition.functionName, env: { ...env } });
    return Instance.start({
      mode,
      moduleUrl: pathToFileURL(handler.modulePath).href,
      exportName: handler.exportName,
      env,
      timeout: this.definition.timeout,
      output,
      logger: logger.child({ function: this.definition.functionName }),
    });
  }

  /**
   * What FC sets (its `FC_*` variables, and the role's credentials if the function has a role), the
   * function's `environmentVariables`, then the overrides. Of the runtime's own environment only what a
   * process needs to work is passed on: no developer's AccessKey, nothing one function sets is seen by
   * another.
   */
  #instanceEnv(credentials: IssuedCredentials | undefined): Record<string, string> {
    const { definition, handler, region, accountId, envOverrides, nodePath } = this.#options;
    const inherited = Object.fromEntries(
      INHERITED.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]])),
    );
    return {
      ...inherited,
      ...(nodePath === undefined ? {} : { NODE_PATH: nodePath }),
      FC_FUNC_CODE_PATH: handler.codePath,
      FC_ACCOUNT_ID: accountId,
      FC_FUNCTION_HANDLER: definition.handler,
      FC_FUNCTION_MEMORY_SIZE: String(definition.memorySize),
      FC_FUNCTION_NAME: definition.functionName,
      FC_REGION: region,
      FC_INSTANCE_ID: randomUUID(),
      ...(credentials && {
        ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret,
        ALIBABA_CLOUD_SECURITY_TOKEN: credentials.securityToken,
      }),
      ...definition.environmentVariables,
      ...envOverrides,
    };
  }
}

const INHERITED = ['PATH', 'HOME', 'LANG', 'TMPDIR'];
