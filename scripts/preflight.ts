/**
 * `npm run preflight`: checks the configuration `s deploy` would ship, and refuses one that cannot work
 * on Function Compute, naming each variable to set and why. What it checks is s.yaml evaluated with this
 * environment (plus `.env` next to s.yaml, which `s` reads too), the way Serverless Devs evaluates it:
 * the settings each function would get, its network, its triggers. s.yaml's pre-deploy action runs it
 * before anything is built or uploaded.
 *
 * - every setting, read with the readers the functions use (so the messages are theirs);
 * - a job store every function that opens it can reach: Redis/Tair (the embedded store does not run on
 *   FC), and that store's VPC on each of those functions;
 * - notifications the sweeper can send (a webhook needs its signing secret);
 * - the sweeper's lease against its timeout;
 * - nothing meant for local runs only, no name FC reserves, no environment over FC's 4 KB.
 *
 * `npm start` runs the value checks (`settingValueProblems`) on its own environment before it starts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, parseEnv } from 'node:util';
import { CronError, parseSchedule } from '#local/runtime/cron.ts';
import {
  type FunctionDefinition,
  LOCAL_ACCOUNT_ID,
  parseServerlessYaml,
  ServerlessYamlError,
} from '#local/runtime/serverlessYaml.ts';
import { resolveEndpoint } from '#shared/aicontent/client.ts';
import {
  boolSetting,
  type Env,
  enumSetting,
  intSetting,
  readDefaultTargetSettings,
  setting,
} from '#shared/config.ts';
import { ConfigError } from '#shared/errors.ts';
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';
import { describeTarget } from '#shared/notify/describeTarget.ts';
import { createNotifier, MIN_WEBHOOK_SECRET_LENGTH } from '#shared/notify/notifier.ts';
import { defaultNotifyTarget } from '#shared/notify/notifyTarget.ts';
import { targetAllowlist } from '#shared/notify/targetAllowlist.ts';
import {
  type BoolSetting,
  type EnumSetting,
  FC_PROVIDED,
  type FunctionId,
  type IntSetting,
  SETTINGS,
  type Setting,
  type SettingName,
} from '#shared/settings.ts';
import { parseRedisUrl } from '#shared/stores/redis/url.ts';

export interface Problem {
  /** The variable to set or change; `s.yaml` when the file itself must change. */
  variable: string;
  /** What is wrong, and what to do about it. Names the variable. */
  message: string;
  /** The functions it concerns, when it concerns some and not the deployment as a whole. */
  functions?: string[];
}

export interface PreflightResult {
  problems: Problem[];
  /** One short line per check that found nothing wrong. */
  passed: string[];
}

const FUNCTIONS: readonly FunctionId[] = ['query', 'sweeper', 'on-job-done'];
const ALL_SETTINGS = Object.keys(SETTINGS) as SettingName[];

/** FC's limit on a function's environment variables, all together (its docs: "cannot exceed 4 KB"). */
export const FC_ENVIRONMENT_LIMIT_BYTES = 4096;

// --- values ------------------------------------------------------------------------------------------

/** `message`, prefixed with the variable's name when it does not say it already. */
function naming(name: string, message: string): string {
  return message.includes(name) ? message : `${name}: ${message}`;
}

/**
 * Readers for settings whose text has a shape, beyond the typed ones: each one what the function
 * calls at cold start (or, for SWEEP_SCHEDULE, what the local runtime parses the timer with).
 */
const SHAPE_READERS: Partial<Record<SettingName, (env: Env) => void>> = {
  AICONTENT_ENDPOINT: (env) => resolveEndpoint(setting(env, 'AICONTENT_ENDPOINT')),
  NOTIFY_FC_ENDPOINT: (env) => {
    const endpoint = setting(env, 'NOTIFY_FC_ENDPOINT');
    if (endpoint) resolveEndpoint(endpoint, 'NOTIFY_FC_ENDPOINT');
  },
  NOTIFY_TARGETS_ALLOWED: (env) => targetAllowlist(setting(env, 'NOTIFY_TARGETS_ALLOWED') ?? ''),
  JOB_STORE_URL: (env) => {
    const url = setting(env, 'JOB_STORE_URL');
    if (url && isRedisUrl(url)) parseRedisUrl(url);
  },
  NOTIFY_WEBHOOK_SECRET: (env) => {
    const secret = setting(env, 'NOTIFY_WEBHOOK_SECRET');
    if (secret !== undefined && secret.length < MIN_WEBHOOK_SECRET_LENGTH) {
      throw new ConfigError(
        `NOTIFY_WEBHOOK_SECRET must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters long ` +
          `(it has ${secret.length}): a shorter one could be guessed from signed requests`,
      );
    }
  },
  SWEEP_SCHEDULE: (env) => parseSchedule(setting(env, 'SWEEP_SCHEDULE') as string).next(new Date()),
};

function readSetting(env: Env, name: SettingName): void {
  const declared: Setting = SETTINGS[name];
  if (declared.type === 'int') intSetting(env, name as IntSetting);
  if (declared.type === 'bool') boolSetting(env, name as BoolSetting);
  if (declared.type === 'enum') enumSetting(env, name as EnumSetting);
  SHAPE_READERS[name]?.(env);
}

/**
 * What is wrong with the values of `names` in `env`: out of range, not one of the values, malformed.
 * Each setting is read as the functions read it, so the message is the one a function would fail with.
 */
export function settingValueProblems(env: Env, names: readonly SettingName[] = ALL_SETTINGS): Problem[] {
  const problems: Problem[] = [];
  for (const name of names) {
    try {
      readSetting(env, name);
    } catch (error) {
      if (!(error instanceof ConfigError || error instanceof CronError)) throw error;
      problems.push({ variable: name, message: naming(name, error.message) });
    }
  }
  return problems;
}

// --- the report --------------------------------------------------------------------------------------

class Findings {
  readonly problems: Problem[] = [];
  readonly passed: string[] = [];
  #recorded = 0;

  /** Problems recorded so far, those merged into an earlier one included. */
  get recorded(): number {
    return this.#recorded;
  }

  /** Records a problem; the same one for another function adds that function to it. */
  add(problem: Problem): void {
    this.#recorded += 1;
    const same = this.problems.find((p) => p.variable === problem.variable && p.message === problem.message);
    if (!same) {
      this.problems.push({ ...problem, ...(problem.functions ? { functions: [...problem.functions] } : {}) });
      return;
    }
    for (const fn of problem.functions ?? []) {
      if (!same.functions?.includes(fn)) same.functions = [...(same.functions ?? []), fn];
    }
  }

  problem(variable: string, message: string, fn?: string): void {
    this.add(fn ? { variable, message, functions: [fn] } : { variable, message });
  }

  /** Runs one check; the line it returns is recorded as passed when it found no problem. */
  check(run: () => string | undefined): void {
    const before = this.recorded;
    const line = run();
    if (line && this.recorded === before) this.passed.push(line);
  }
}

/** The deployment as s.yaml describes it: each function's definition, or its environment alone. */
interface Deployment {
  /** The functions of s.yaml by resource name; empty when s.yaml could not be evaluated. */
  functions: ReadonlyMap<string, FunctionDefinition>;
  /** The environment a function would get: from s.yaml, else (s.yaml unreadable) the raw environment. */
  envOf(fn: FunctionId): Env;
}

function isRedisUrl(url: string): boolean {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  return scheme === 'redis' || scheme === 'rediss';
}

function isLoopback(host: string): boolean {
  const name = host
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || name.endsWith('.localhost') || /^127\./.test(name) || name === '::1';
}

const list = (items: readonly string[]) => items.join(', ');

// --- the checks --------------------------------------------------------------------------------------

function checkValues(findings: Findings, env: Env, deployment: Deployment): void {
  findings.check(() => {
    let count = 0;
    for (const fn of FUNCTIONS) {
      const names = ALL_SETTINGS.filter((name) => {
        const declared: Setting = SETTINGS[name];
        return declared.readBy.includes(fn) && !declared.local;
      });
      count += names.length;
      for (const problem of settingValueProblems(deployment.envOf(fn), names)) {
        findings.add({ ...problem, functions: [fn] });
      }
    }
    const deploymentSettings = ALL_SETTINGS.filter((name) => (SETTINGS[name] as Setting).deploy);
    count += deploymentSettings.length;
    for (const problem of settingValueProblems(env, deploymentSettings)) findings.add(problem);
    return `settings: ${count} values, each read as the functions (or s.yaml) read it`;
  });
}

const STORE_FUNCTIONS = SETTINGS.JOB_STORE_URL.readBy;

function checkJobStore(findings: Findings, deployment: Deployment): void {
  findings.check(() => {
    const shown = new Set<string>();
    for (const fn of STORE_FUNCTIONS) {
      // The raw value: unset, a function would fall back to the local default (file:.data/jobs.db).
      const url = deployment.envOf(fn).JOB_STORE_URL?.trim();
      if (!url) {
        findings.problem(
          'JOB_STORE_URL',
          'JOB_STORE_URL is not set: set it to your ApsaraDB for Redis / Tair instance, ' +
            'redis://:<password>@<host>:6379 (rediss://… for TLS), which the functions that open the job ' +
            'store share',
          fn,
        );
      } else if (!isRedisUrl(url)) {
        const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
        findings.problem(
          'JOB_STORE_URL',
          `JOB_STORE_URL is ${scheme ? `a ${scheme}: URL` : 'no URL'}: the embedded store does not run on FC (its instances neither ` +
            'share nor keep their disks, and the bundles carry no native module). Set it to redis://… or ' +
            'rediss://… of your ApsaraDB for Redis / Tair instance',
          fn,
        );
      } else {
        try {
          const location = parseRedisUrl(url);
          if (isLoopback(location.host)) {
            findings.problem(
              'JOB_STORE_URL',
              `JOB_STORE_URL points at ${location.host}: on FC that is the function instance itself. Use ` +
                "your Redis/Tair instance's VPC endpoint (r-….redis.rds.aliyuncs.com)",
              fn,
            );
          }
          shown.add(location.display);
        } catch {
          // Reported with the values.
        }
      }
    }
    return `job store: ${list([...shown])} (${list(STORE_FUNCTIONS)})`;
  });
}

/** vpcConfig as fc3 takes it, each prop from one deployment setting (s.yaml's `vars.storeNetwork`). */
const NETWORK = [
  {
    prop: 'vpcId',
    variable: 'VPC_ID',
    pattern: /^vpc-[a-z0-9]+$/,
    what: 'a VPC id (vpc-…)',
    unset:
      "set it to the id of your Redis/Tair instance's VPC (vpc-…): the functions that open the job store " +
      'reach Redis/Tair only from inside it',
  },
  {
    prop: 'vSwitchIds',
    variable: 'VSWITCH_IDS',
    pattern: /^vsw-[a-z0-9]+$/,
    what: 'a vSwitch id (vsw-…); write them comma-separated, without spaces',
    unset:
      'set it to vSwitches of that VPC, comma-separated (vsw-a,vsw-b), in zones where FC runs: the ' +
      "functions take their addresses from them, so admit their CIDR blocks in the instance's whitelist",
  },
  {
    prop: 'securityGroupId',
    variable: 'SECURITY_GROUP_ID',
    pattern: /^sg-[a-z0-9]+$/,
    what: 'a security group id (sg-…)',
    unset: "set it to a security group of that VPC (sg-…) for the functions' network interfaces",
  },
] as const;

function checkNetwork(findings: Findings, deployment: Deployment): void {
  if (deployment.functions.size === 0) return;
  findings.check(() => {
    let summary = '';
    for (const fn of STORE_FUNCTIONS) {
      const definition = deployment.functions.get(fn);
      if (!definition) {
        findings.problem('s.yaml', `s.yaml has no resource "${fn}", which opens the job store`);
        continue;
      }
      const vpcConfig = definition.props.vpcConfig;
      if (vpcConfig === null || typeof vpcConfig !== 'object') {
        findings.problem(
          's.yaml',
          `s.yaml gives ${fn} ${vpcConfig === 'auto' ? 'vpcConfig: auto, a VPC of its own' : 'no vpcConfig'}: ` +
            'a function that opens the job store must join the VPC of Redis/Tair. Give it ' +
            // biome-ignore lint/suspicious/noTemplateCurlyInString: an s.yaml expression, shown as is
            '"vpcConfig: ${vars.storeNetwork}" (VPC_ID, VSWITCH_IDS, SECURITY_GROUP_ID)',
          fn,
        );
        continue;
      }
      const config = vpcConfig as Record<string, unknown>;
      for (const { prop, variable, pattern, what, unset } of NETWORK) {
        const given = config[prop];
        const values: unknown[] = Array.isArray(given) ? given : [given];
        if (given === undefined || values.every((value) => value === '')) {
          findings.problem(variable, `${variable} is not set: ${unset}`, fn);
          continue;
        }
        const wrong = values.find((value) => typeof value !== 'string' || !pattern.test(value));
        if (wrong !== undefined) {
          findings.problem(variable, `${variable} holds ${JSON.stringify(wrong)}, which is not ${what}`, fn);
        }
      }
      const switches = Array.isArray(config.vSwitchIds) ? config.vSwitchIds.length : 0;
      summary = `${config.vpcId}, ${switches} vSwitch${switches === 1 ? '' : 'es'}, ${config.securityGroupId}`;
    }
    return `network: ${summary} (${list(STORE_FUNCTIONS)})`;
  });
}

function checkNotifications(findings: Findings, deployment: Deployment): void {
  findings.check(() => {
    const before = findings.recorded;
    const env = deployment.envOf('sweeper');
    // NOTIFY_ALLOW_HTTP is never passed to a deployed function (local runs only): https only.
    const rules = { allowHttp: false };
    let defaultTarget: NotifyTarget | null;
    try {
      defaultTarget = defaultNotifyTarget(readDefaultTargetSettings(env), rules);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const variable = error.message.includes('NOTIFY_URL') ? 'NOTIFY_URL' : 'NOTIFY_FUNCTION';
      findings.problem(variable, error.message, 'sweeper');
      return undefined;
    }
    const secret = setting(env, 'NOTIFY_WEBHOOK_SECRET');
    const signWith = `set NOTIFY_WEBHOOK_SECRET to a random secret of at least ${MIN_WEBHOOK_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`) and give it to the receiver`;
    if (defaultTarget?.type === 'webhook' && secret === undefined) {
      findings.problem(
        'NOTIFY_WEBHOOK_SECRET',
        `NOTIFY_URL is a webhook, and webhooks are always signed: ${signWith}`,
        'sweeper',
      );
    }
    const allowed = setting(env, 'NOTIFY_TARGETS_ALLOWED') ?? '';
    if (secret === undefined && /(^|,)\s*url:/.test(allowed)) {
      findings.problem(
        'NOTIFY_WEBHOOK_SECRET',
        `NOTIFY_TARGETS_ALLOWED lets jobs name webhooks (url:…), which are always signed: ${signWith}`,
        'sweeper',
      );
    }
    if (findings.recorded > before) return undefined;
    const line = defaultTarget
      ? `notifications: ${describeTarget(defaultTarget)}`
      : 'notifications: no default target (NOTIFY_FUNCTION, NOTIFY_URL): only jobs that name their own are told';
    // What the sweeper builds on every invocation, with its own checks (endpoint, region, secret), once
    // every value it reads is known to be good.
    if (findings.problems.some((problem) => problem.functions?.includes('sweeper'))) return line;
    try {
      createNotifier({
        // Any account id: the real one is known on FC only, and only its shape matters here.
        accountId: LOCAL_ACCOUNT_ID,
        region: deployment.functions.get('sweeper')?.region ?? (setting(env, 'REGION') as string),
        internal: boolSetting(env, 'NOTIFY_FC_INTERNAL'),
        fcEndpoint: setting(env, 'NOTIFY_FC_ENDPOINT'),
        credentials: async () => {
          throw new Error('the preflight invokes nothing');
        },
        defaultTarget,
        webhookSecret: secret,
        allowHttpWebhooks: false,
        allowedTargets: targetAllowlist(allowed),
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      findings.problem('REGION', naming('REGION', error.message), 'sweeper');
    }
    return line;
  });
}

/** Where a function sends requests: none may be this machine (an emulator's URL left in the shell). */
const ENDPOINTS = [
  ['AICONTENT_ENDPOINT', 'Unset it (aicontent.aliyuncs.com)'],
  ['NOTIFY_FC_ENDPOINT', "Unset it (FC's endpoint, from account and region)"],
  ['NOTIFY_URL', "Use the receiver's https URL"],
] as const;

function checkEndpoints(findings: Findings, deployment: Deployment): void {
  findings.check(() => {
    for (const fn of FUNCTIONS) {
      const env = deployment.envOf(fn);
      for (const [name, fix] of ENDPOINTS) {
        const value = (SETTINGS[name] as Setting).readBy.includes(fn) ? setting(env, name) : undefined;
        // A bare host is one, as the readers take it.
        const url = value && /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
        const host = value && URL.canParse(url) ? new URL(url).hostname : undefined;
        if (host && isLoopback(host)) {
          findings.problem(
            name,
            `${name} points at ${host}: on FC that is the function instance itself, not this machine. ${fix}`,
            fn,
          );
        }
      }
    }
    return 'endpoints: none on loopback';
  });
}

function checkSweeperTiming(findings: Findings, deployment: Deployment): void {
  const sweeper = deployment.functions.get('sweeper');
  if (!sweeper) return;
  findings.check(() => {
    const env = deployment.envOf('sweeper');
    const timeout = sweeper.timeout;
    let lease: number;
    let margin: number;
    try {
      lease = intSetting(env, 'LEASE_SECONDS');
      margin = intSetting(env, 'SWEEP_SAFETY_MARGIN_SECONDS');
    } catch {
      return undefined; // Reported with the values.
    }
    if (lease <= timeout) {
      const fallback = SETTINGS.LEASE_SECONDS.default;
      findings.problem(
        'LEASE_SECONDS',
        `LEASE_SECONDS is ${lease}, not above the sweeper's timeout (${timeout} s in s.yaml): the next tick ` +
          `could claim the jobs of a sweep still running and poll them twice. Set it above ${timeout}` +
          (fallback > timeout ? `, or unset it (${fallback})` : ''),
        'sweeper',
      );
    }
    if (margin >= timeout) {
      findings.problem(
        'SWEEP_SAFETY_MARGIN_SECONDS',
        `SWEEP_SAFETY_MARGIN_SECONDS is ${margin}, not below the sweeper's timeout (${timeout} s in s.yaml): ` +
          'a sweep would stop before claiming anything',
        'sweeper',
      );
    }
    return `sweeper timing: lease ${lease} s > timeout ${timeout} s > safety margin ${margin} s`;
  });
}

const LOCAL_SWITCHES = ALL_SETTINGS.filter((name) => (SETTINGS[name] as Setting).local);

function checkLocalSwitches(findings: Findings, env: Env, deployment: Deployment): void {
  findings.check(() => {
    for (const name of LOCAL_SWITCHES) {
      if (env[name]?.trim()) {
        findings.problem(
          name,
          `${name} is set: it is for local runs only (npm start sets it), never for a deployment. Unset it`,
        );
      }
      for (const [fn, definition] of deployment.functions) {
        if (name in definition.environmentVariables) {
          findings.problem(
            's.yaml',
            `s.yaml passes ${name} to ${fn}: it is for local runs only; remove it`,
            fn,
          );
        }
      }
    }
    return `local-only switches: none (${list(LOCAL_SWITCHES)})`;
  });
}

/** Letters, digits and `_`, starting with a letter (FC's rule for variable names). */
const VARIABLE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

function checkEnvironments(findings: Findings, deployment: Deployment): void {
  if (deployment.functions.size === 0) return;
  findings.check(() => {
    const sizes: string[] = [];
    for (const [fn, definition] of deployment.functions) {
      const variables = definition.environmentVariables;
      for (const name of Object.keys(variables)) {
        if (name.startsWith('FC_') || (FC_PROVIDED as readonly string[]).includes(name)) {
          findings.problem(
            's.yaml',
            `s.yaml sets ${name} for ${fn}: FC reserves that name (the FC_ prefix, its credentials); rename it`,
            fn,
          );
        } else if (!VARIABLE_NAME.test(name)) {
          findings.problem(
            's.yaml',
            `s.yaml sets ${JSON.stringify(name)} for ${fn}: FC takes letters, digits and _ only, starting with a letter`,
            fn,
          );
        }
      }
      // Counted as JSON (names, values, quotes): on the safe side of however FC counts.
      const bytes = Buffer.byteLength(JSON.stringify(variables));
      if (bytes > FC_ENVIRONMENT_LIMIT_BYTES) {
        const largest = Object.entries(variables).sort(([, a], [, b]) => b.length - a.length)[0]?.[0] ?? '';
        findings.problem(
          largest,
          `${fn}'s environment is ${bytes} bytes, over FC's ${FC_ENVIRONMENT_LIMIT_BYTES}: shorten its longest ` +
            `value, ${largest}`,
          fn,
        );
      }
      sizes.push(`${fn} ${(bytes / 1024).toFixed(1)}`);
    }
    return `environments: names FC accepts; ${list(sizes)} KB of ${FC_ENVIRONMENT_LIMIT_BYTES / 1024} KB`;
  });
}

function checkHttpTrigger(findings: Findings, deployment: Deployment): void {
  const query = deployment.functions.get('query');
  if (!query) return;
  findings.check(() => {
    const triggers = Array.isArray(query.props.triggers) ? (query.props.triggers as unknown[]) : [];
    const http = triggers.find(
      (trigger): trigger is { triggerConfig?: Record<string, unknown> } =>
        typeof trigger === 'object' &&
        trigger !== null &&
        (trigger as { triggerType?: unknown }).triggerType === 'http',
    );
    const authType = http?.triggerConfig?.authType;
    if (authType === 'jwt' && !http?.triggerConfig?.authConfig) {
      findings.problem(
        'HTTP_AUTH_TYPE',
        'HTTP_AUTH_TYPE is jwt, but the HTTP trigger in s.yaml has no authConfig (JWKS, where the token is): add one, or use function',
      );
    }
    if (authType === 'anonymous' && !setting(deployment.envOf('query'), 'NOTIFY_TARGETS_ALLOWED')) {
      findings.problem(
        'NOTIFY_TARGETS_ALLOWED',
        'HTTP_AUTH_TYPE is anonymous and NOTIFY_TARGETS_ALLOWED is empty: anyone could have the sweeper ' +
          'invoke any function its role may invoke, or POST to any URL. List the targets jobs may name in ' +
          'NOTIFY_TARGETS_ALLOWED, or keep HTTP_AUTH_TYPE=function',
      );
    }
    return http ? `HTTP trigger: authType ${String(authType)}` : undefined;
  });
}

/**
 * What is wrong with deploying `sYamlText` with `env` (the variables `s deploy` would see), and what
 * passed. `sYamlPath` resolves the file's relative paths and names it in messages.
 */
export function preflight(env: Env, sYamlText: string, sYamlPath = 's.yaml'): PreflightResult {
  const findings = new Findings();
  let functions = new Map<string, FunctionDefinition>();
  findings.check(() => {
    try {
      const yaml = parseServerlessYaml(sYamlText, sYamlPath, env);
      functions = new Map(yaml.functions.map((fn) => [fn.resourceName, fn]));
      const regions = [...new Set(yaml.functions.map((fn) => fn.region))];
      return `s.yaml: ${list(yaml.functions.map((fn) => fn.functionName))} in ${list(regions.map(String))}`;
    } catch (error) {
      if (!(error instanceof ServerlessYamlError)) throw error;
      findings.problem('s.yaml', error.message);
      return undefined;
    }
  });
  const deployment: Deployment = {
    functions,
    envOf: (fn) => functions.get(fn)?.environmentVariables ?? env,
  };
  checkValues(findings, env, deployment);
  checkJobStore(findings, deployment);
  checkNetwork(findings, deployment);
  checkEndpoints(findings, deployment);
  checkNotifications(findings, deployment);
  checkSweeperTiming(findings, deployment);
  checkHttpTrigger(findings, deployment);
  checkLocalSwitches(findings, env, deployment);
  checkEnvironments(findings, deployment);
  return { problems: findings.problems, passed: findings.passed };
}

/** The report `npm run preflight` prints. */
export function formatPreflight({ problems, passed }: PreflightResult): string {
  const lines = [
    ...passed.map((line) => `  ✓ ${line}`),
    ...problems.map(
      (problem) => `  ✗ ${problem.message}${problem.functions ? ` [${list(problem.functions)}]` : ''}`,
    ),
  ];
  const verdict =
    problems.length === 0
      ? 'preflight: ready to deploy'
      : `preflight: ${problems.length} problem${problems.length === 1 ? '' : 's'}; set what they name, then run it again (s deploy does)`;
  return [...lines, verdict].join('\n');
}

/**
 * The variables `s deploy` sees: this environment over `.env` next to s.yaml (Serverless Devs loads that
 * file the same way: a variable already set wins; it also expands `${VAR}` in it, which this does not).
 */
function deployEnvironment(envFile: string): Env {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

const USAGE = `usage: npm run preflight [-- --s-yaml PATH] [--dotenv PATH]

Checks what \`s deploy\` would ship: s.yaml (default ./s.yaml) evaluated with this environment and the
.env next to it (or --dotenv PATH), every setting read as the functions read it. Prints each check;
exits 0 when ready to deploy, 1 naming each variable to set and why.`;

function main(): void {
  const { values } = parseArgs({
    // Not --env-file: Node 20 takes that one wherever it appears, even after the script.
    options: {
      's-yaml': { type: 'string', default: 's.yaml' },
      dotenv: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const sYamlPath = resolve(values['s-yaml']);
  const envFile = values.dotenv ?? join(dirname(sYamlPath), '.env');
  if (values.dotenv !== undefined && !existsSync(envFile)) throw new Error(`no such file: ${envFile}`);
  console.log(
    `preflight: what \`s deploy\` would ship: ${sYamlPath} with this environment` +
      (existsSync(envFile) ? ` and ${envFile}` : ''),
  );
  const result = preflight(deployEnvironment(envFile), readFileSync(sYamlPath, 'utf8'), sYamlPath);
  console.log(formatPreflight(result));
  process.exitCode = result.problems.length === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    main();
  } catch (error) {
    console.error(`preflight: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
