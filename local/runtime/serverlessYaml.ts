/**
 * Reads a Serverless Devs `s.yaml` (edition 3.0.0) into the function definitions the local runtime
 * runs: every resource with `component: fc3`, its props evaluated (see `templates.ts`) and checked.
 * Props the local runtime has no use for (cpu, vpcConfig, ...) are ignored by it; they are kept,
 * evaluated, in `props` for `npm run preflight`, which checks what `s deploy` would ship.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import type { Env } from '#shared/config.ts';
import { isRecord } from '#shared/json.ts';
import { CronError, parseSchedule } from './cron.ts';
import { TemplateError, TemplateEvaluator } from './templates.ts';

/** FC's defaults when a function does not say (fc3 schema, docs/fc-runtime.md §7). */
export const DEFAULT_TIMEOUT_SECONDS = 3;
export const DEFAULT_MEMORY_MB = 512;

export interface HttpTriggerDefinition {
  type: 'http';
  name: string;
  /** `anonymous`, `function` or `jwt`; not enforced locally. */
  authType: string;
  /** Upper-case; every method when the trigger lists none. */
  methods: readonly string[] | undefined;
}

export interface TimerTriggerDefinition {
  type: 'timer';
  name: string;
  cronExpression: string;
  enable: boolean;
  /** Handed to the function as `event.payload`, always a string. */
  payload: string;
}

/** Triggers the local runtime does not serve (oss, mns_topic, ...), kept so they can be listed. */
export interface OtherTriggerDefinition {
  type: string;
  name: string;
}

export type TriggerDefinition = HttpTriggerDefinition | TimerTriggerDefinition | OtherTriggerDefinition;

// `type` alone does not narrow the union (another trigger's type is any string): these guards do.
export function isHttpTrigger(trigger: TriggerDefinition): trigger is HttpTriggerDefinition {
  return trigger.type === 'http';
}

export function isTimerTrigger(trigger: TriggerDefinition): trigger is TimerTriggerDefinition {
  return trigger.type === 'timer';
}

export interface AsyncInvokeConfig {
  maxAsyncEventAgeInSeconds?: number;
  maxAsyncRetryAttempts?: number;
  destinationConfig?: unknown;
}

export interface FunctionDefinition {
  /** The key under `resources:` (`query`); names the source folder `functions/<resourceName>/`. */
  resourceName: string;
  functionName: string;
  runtime: string;
  region: string | undefined;
  /** Absolute: `code` resolved against the directory of s.yaml. */
  codeDir: string;
  /** `file.export`, as written (`index.handler`). */
  handler: string;
  memorySize: number;
  /** Seconds. */
  timeout: number;
  /**
   * The RAM role (`role`), undefined when empty or absent: FC then gives the function no credentials
   * (`context.credentials` is `{}`, no `ALIBABA_CLOUD_*` variables), and so does the local runtime.
   */
  role: string | undefined;
  environmentVariables: Readonly<Record<string, string>>;
  asyncInvokeConfig: AsyncInvokeConfig | undefined;
  /** From `logConfig: {project, logstore}`; empty for `auto` or none. */
  logProject: string;
  logStore: string;
  triggers: readonly TriggerDefinition[];
  /** Every prop as `s` hands it to the fc3 component, expressions evaluated. */
  props: Readonly<Record<string, unknown>>;
}

export interface ServerlessYaml {
  /** Absolute path of the file read. */
  path: string;
  /** Its directory: relative `code` paths and the `functions/` sources are found from here. */
  rootDir: string;
  name: string | undefined;
  functions: readonly FunctionDefinition[];
}

export interface LoadOptions {
  /** `${config('AccountID')}`; default the local runtime's account id. */
  accountId?: string;
}

export class ServerlessYamlError extends Error {
  override name = 'ServerlessYamlError';
}

export const LOCAL_ACCOUNT_ID = '1234567890123456';

export async function loadServerlessYaml(
  path: string,
  env: Env = process.env,
  options: LoadOptions = {},
): Promise<ServerlessYaml> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ServerlessYamlError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return parseServerlessYaml(text, file, env, options);
}

/** The same from the file's text; `path` resolves relative `code` paths and names the file in errors. */
export function parseServerlessYaml(
  text: string,
  path: string,
  env: Env,
  options: LoadOptions = {},
): ServerlessYaml {
  const file = resolve(path);
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ServerlessYamlError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (!isRecord(document) || !isRecord(document.resources)) {
    throw new ServerlessYamlError(`${file} has no "resources:" map`);
  }

  const rootDir = dirname(file);
  const evaluator = new TemplateEvaluator({
    document,
    env,
    accountId: options.accountId ?? LOCAL_ACCOUNT_ID,
  });
  const functions: FunctionDefinition[] = [];
  for (const [resourceName, resource] of Object.entries(document.resources)) {
    // `fc3` or a pinned `fc3@x.y.z`; not `fc3-domain` and the like.
    if (
      !isRecord(resource) ||
      typeof resource.component !== 'string' ||
      !/^fc3(@|$)/.test(resource.component)
    ) {
      continue;
    }
    const where = `${file}: resources.${resourceName}`;
    try {
      const props = evaluator.evaluate(resource.props ?? {}, `resources.${resourceName}.props`);
      const definition = functionDefinition(resourceName, props, rootDir, where);
      const twin = functions.find((other) => other.functionName === definition.functionName);
      if (twin) {
        throw new ServerlessYamlError(
          `${where}: functionName ${definition.functionName} is also resources.${twin.resourceName}'s`,
        );
      }
      functions.push(definition);
    } catch (error) {
      if (error instanceof TemplateError) throw new ServerlessYamlError(`${file}: ${error.message}`);
      throw error;
    }
  }
  return {
    path: file,
    rootDir,
    name: typeof document.name === 'string' ? document.name : undefined,
    functions,
  };
}

function functionDefinition(
  resourceName: string,
  props: unknown,
  rootDir: string,
  where: string,
): FunctionDefinition {
  if (!isRecord(props)) throw new ServerlessYamlError(`${where}.props must be a map`);
  const required = (key: string): string => {
    const value = props[key];
    if (typeof value !== 'string' || value === '') {
      throw new ServerlessYamlError(`${where}.props.${key} is required (a non-empty string)`);
    }
    return value;
  };
  const functionName = required('functionName');
  const runtime = required('runtime');
  const handler = required('handler');
  if (typeof props.code !== 'string') {
    throw new ServerlessYamlError(
      `${where}.props.code is required, and locally it must be a directory (not an OSS object)`,
    );
  }
  if (!/^.+\.[^.]+$/.test(handler)) {
    throw new ServerlessYamlError(
      `${where}.props.handler must look like file.export, not ${JSON.stringify(handler)}`,
    );
  }
  const logConfig = isRecord(props.logConfig) ? props.logConfig : {};
  return {
    resourceName,
    functionName,
    runtime,
    region: typeof props.region === 'string' ? props.region : undefined,
    codeDir: resolve(rootDir, props.code),
    handler,
    memorySize: positiveNumber(props.memorySize, DEFAULT_MEMORY_MB, `${where}.props.memorySize`),
    timeout: positiveNumber(props.timeout, DEFAULT_TIMEOUT_SECONDS, `${where}.props.timeout`),
    role: typeof props.role === 'string' && props.role.trim() !== '' ? props.role : undefined,
    environmentVariables: stringMap(props.environmentVariables, `${where}.props.environmentVariables`),
    asyncInvokeConfig: isRecord(props.asyncInvokeConfig) ? props.asyncInvokeConfig : undefined,
    logProject: typeof logConfig.project === 'string' ? logConfig.project : '',
    logStore: typeof logConfig.logstore === 'string' ? logConfig.logstore : '',
    triggers: triggers(props.triggers, `${where}.props.triggers`),
    props,
  };
}

function triggers(value: unknown, where: string): TriggerDefinition[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ServerlessYamlError(`${where} must be a list`);
  return value.map((item, i) => {
    const at = `${where}[${i}]`;
    if (!isRecord(item) || typeof item.triggerName !== 'string' || typeof item.triggerType !== 'string') {
      throw new ServerlessYamlError(`${at} needs a triggerName and a triggerType`);
    }
    const config = isRecord(item.triggerConfig) ? item.triggerConfig : {};
    if (item.triggerType === 'http') return httpTrigger(item.triggerName, config, at);
    if (item.triggerType === 'timer') return timerTrigger(item.triggerName, config, at);
    return { type: item.triggerType, name: item.triggerName };
  });
}

function httpTrigger(name: string, config: Record<string, unknown>, at: string): HttpTriggerDefinition {
  const { methods } = config;
  const isList = Array.isArray(methods) && methods.every((method) => typeof method === 'string');
  if (methods !== undefined && !isList) {
    throw new ServerlessYamlError(`${at}.triggerConfig.methods must be a list of HTTP methods`);
  }
  return {
    type: 'http',
    name,
    authType: typeof config.authType === 'string' ? config.authType : 'anonymous',
    methods: isList ? methods.map((method: string) => method.toUpperCase()) : undefined,
  };
}

function timerTrigger(name: string, config: Record<string, unknown>, at: string): TimerTriggerDefinition {
  const { cronExpression, enable, payload } = config;
  if (typeof cronExpression !== 'string') {
    throw new ServerlessYamlError(`${at}.triggerConfig.cronExpression is required`);
  }
  try {
    // Checked now, not when the first tick is due: a never-matching expression fails here too.
    parseSchedule(cronExpression).next(new Date());
  } catch (error) {
    if (error instanceof CronError) throw new ServerlessYamlError(`${at}: ${error.message}`);
    throw error;
  }
  return {
    type: 'timer',
    name,
    cronExpression,
    enable: enable !== false,
    payload: payload === undefined ? '' : String(payload),
  };
}

/** A number, or the text of one (what `${env('X')}` gives). */
function positiveNumber(value: unknown, fallback: number, at: string): number {
  if (value === undefined) return fallback;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !(number > 0)) {
    throw new ServerlessYamlError(`${at} must be a positive number, not ${JSON.stringify(value)}`);
  }
  return number;
}

/** FC environment values are strings; YAML numbers and booleans are written as text. */
function stringMap(value: unknown, at: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new ServerlessYamlError(`${at} must be a map`);
  const entries = Object.entries(value).map(([key, item]) => {
    if (item !== null && typeof item === 'object') {
      throw new ServerlessYamlError(`${at}.${key} must be a scalar`);
    }
    return [key, String(item ?? '')];
  });
  return Object.fromEntries(entries);
}
