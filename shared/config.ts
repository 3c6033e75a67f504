/**
 * Typed settings from environment variables: the one reader of the environment in shared/ and
 * functions/ (everything else is given what it needs). Each function reads its config once, at cold
 * start, so a wrong value fails the first invocation with a message naming the variable, not a poll at
 * 3 a.m. Every setting's default and valid values are declared once, in settings.ts.
 */
import type { CredentialsProvider } from '#shared/credentials.ts';
import { ConfigError } from '#shared/errors.ts';
import type { LogLevel } from '#shared/log.ts';
import {
  type BoolSetting,
  type EnumSetting,
  type IntSetting,
  SETTINGS,
  type StringSetting,
} from '#shared/settings.ts';

/** An environment: `process.env`, or a record standing in for it. */
export type Env = Readonly<Record<string, string | undefined>>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

export function envString(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

export function envInt(
  env: Env,
  name: string,
  fallback: number,
  range: { min: number; max: number },
): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < range.min || parsed > range.max) {
    throw new ConfigError(
      `${name} must be a whole number from ${range.min} to ${range.max}, got ${JSON.stringify(value)}`,
    );
  }
  return parsed;
}

export function envBool(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(env[name])}`);
}

export function envEnum<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** A registered setting's value: its default (settings.ts) when unset; undefined for an unset optional one. */
export function setting(env: Env, name: StringSetting): string | undefined {
  return raw(env, name) ?? (SETTINGS[name].default || undefined);
}

export function intSetting(env: Env, name: IntSetting): number {
  const { default: fallback, min, max } = SETTINGS[name];
  return envInt(env, name, fallback, { min, max });
}

export function boolSetting(env: Env, name: BoolSetting): boolean {
  return envBool(env, name, SETTINGS[name].default);
}

export function enumSetting<N extends EnumSetting>(
  env: Env,
  name: N,
): (typeof SETTINGS)[N]['values'][number] {
  const { values, default: fallback } = SETTINGS[name];
  return envEnum<string>(env, name, values, fallback) as (typeof SETTINGS)[N]['values'][number];
}

/** What every function needs to reach aicontent and to log. */
export interface CommonConfig {
  aicontentEndpoint: string;
  logLevel: LogLevel;
  /** Tries per aicontent request, the first included. */
  aicontentMaxAttempts: number;
  /** Longest wait for one aicontent request. */
  aicontentTimeoutMs: number;
}

/** What `on-job-done` reads: only how much to log. */
export function readLogLevel(env: Env): LogLevel {
  return enumSetting(env, 'LOG_LEVEL');
}

export function readCommonConfig(env: Env): CommonConfig {
  return {
    aicontentEndpoint: setting(env, 'AICONTENT_ENDPOINT') as string,
    logLevel: readLogLevel(env),
    aicontentMaxAttempts: intSetting(env, 'AICONTENT_MAX_ATTEMPTS'),
    aicontentTimeoutMs: intSetting(env, 'AICONTENT_TIMEOUT_MS'),
  };
}

/** Where tracked jobs live and who may be told about them. */
export interface TrackingConfig {
  /** `redis://…`/`rediss://…` (Redis/Tair), or `file:`/`sqlite:` for the embedded store. */
  jobStoreUrl: string;
  /** Key prefix in Redis, so deployments can share one instance. */
  jobStorePrefix: string;
  /** Accept `http:` webhook URLs (local runs on loopback); `https:` only otherwise. */
  allowHttpWebhooks: boolean;
  /**
   * Whether the embedded store may be opened: off FC, or in the local runtime (which imitates FC on one
   * machine and says so with JOB_STORE_ALLOW_LOCAL_DISK). Never on FC itself: see openJobStore.ts.
   */
  embeddedStoreAllowed: boolean;
  /** Send webhooks to addresses that are not public unicast (local runs); public ones only otherwise. */
  allowPrivateAddresses: boolean;
  /** `NOTIFY_TARGETS_ALLOWED` as given: the per-job targets callers may name ('' for none). */
  notifyTargetsAllowed: string;
}

/** Whether this process runs as an FC function instance: FC sets these in every instance. */
export function runningOnFc(env: Env): boolean {
  return Boolean(raw(env, 'FC_FUNCTION_NAME') || raw(env, 'FC_INSTANCE_ID'));
}

export function readTrackingConfig(env: Env): TrackingConfig {
  return {
    jobStoreUrl: setting(env, 'JOB_STORE_URL') as string,
    jobStorePrefix: setting(env, 'JOB_STORE_PREFIX') as string,
    allowHttpWebhooks: boolSetting(env, 'NOTIFY_ALLOW_HTTP'),
    embeddedStoreAllowed: !runningOnFc(env) || boolSetting(env, 'JOB_STORE_ALLOW_LOCAL_DISK'),
    allowPrivateAddresses: boolSetting(env, 'NOTIFY_ALLOW_PRIVATE_ADDRESSES'),
    notifyTargetsAllowed: setting(env, 'NOTIFY_TARGETS_ALLOWED') ?? '',
  };
}

export interface QueryConfig extends CommonConfig, TrackingConfig {
  /** The `retryAfterSeconds` hint (and `Retry-After`) given for a job that is still pending. */
  pollHintSeconds: number;
  /** Start tracking a pending job when somebody queries it. */
  trackOnQuery: boolean;
  /** Most jobs tracked while pending: no new one is tracked past it. */
  maxTrackedJobs: number;
  /** The deployment signs webhooks (`NOTIFY_WEBHOOK_SECRET` is set): only then may a job name a URL. */
  webhooksSigned: boolean;
}

export function readQueryConfig(env: Env): QueryConfig {
  return {
    ...readCommonConfig(env),
    ...readTrackingConfig(env),
    pollHintSeconds: intSetting(env, 'POLL_HINT_SECONDS'),
    trackOnQuery: boolSetting(env, 'TRACK_ON_QUERY'),
    maxTrackedJobs: intSetting(env, 'MAX_TRACKED_JOBS'),
    webhooksSigned: setting(env, 'NOTIFY_WEBHOOK_SECRET') !== undefined,
  };
}

/** How the sweeper paces polls, gives up, and shares work. */
export interface SweepPolicy {
  /** Most jobs one sweep claims. */
  batchSize: number;
  /** Most aicontent requests in flight at once. */
  concurrency: number;
  /** How long a claimed job stays reserved to one sweeper; independent of the FC timeout. */
  leaseMs: number;
  /** Stop claiming when less than this is left of the invocation. */
  safetyMarginMs: number;
  /** First wait between polls of a pending job, growing by `backoffFactor` up to `maxPollIntervalMs`. */
  pollIntervalMs: number;
  backoffFactor: number;
  maxPollIntervalMs: number;
  /** `full`: a random wait up to the backoff ceiling (spreads load); `none`: exactly the ceiling. */
  jitter: 'full' | 'none';
  /** Give up on a job after this many polls… */
  maxAttempts: number;
  /** …or once it has been tracked this long. */
  maxAgeMs: number;
  /** First wait before retrying a failed notification (doubling, at most an hour). */
  notifyRetryMs: number;
  /** Tries of a notification before it ends `failed`. */
  notifyMaxAttempts: number;
}

export function readSweepPolicy(env: Env): SweepPolicy {
  return {
    batchSize: intSetting(env, 'SWEEP_BATCH_SIZE'),
    concurrency: intSetting(env, 'SWEEP_CONCURRENCY'),
    leaseMs: intSetting(env, 'LEASE_SECONDS') * 1000,
    safetyMarginMs: intSetting(env, 'SWEEP_SAFETY_MARGIN_SECONDS') * 1000,
    pollIntervalMs: intSetting(env, 'POLL_INTERVAL_SECONDS') * 1000,
    backoffFactor: intSetting(env, 'POLL_BACKOFF_PERCENT') / 100,
    maxPollIntervalMs: intSetting(env, 'MAX_POLL_INTERVAL_SECONDS') * 1000,
    jitter: enumSetting(env, 'POLL_JITTER'),
    maxAttempts: intSetting(env, 'MAX_POLL_ATTEMPTS'),
    maxAgeMs: intSetting(env, 'MAX_JOB_AGE_SECONDS') * 1000,
    notifyRetryMs: intSetting(env, 'NOTIFY_RETRY_SECONDS') * 1000,
    notifyMaxAttempts: intSetting(env, 'NOTIFY_MAX_ATTEMPTS'),
  };
}

/** The deployment's default notify target as its settings give it (notifyTarget.ts checks and builds it). */
export interface DefaultTargetSettings {
  /** `NOTIFY_FUNCTION`: an FC 3.0 function; with `fc2Service`, a function of that FC 2.0 service. */
  function: string | undefined;
  /** `NOTIFY_FUNCTION_QUALIFIER`: the function's version or alias. */
  qualifier: string | undefined;
  /** `NOTIFY_FC2_SERVICE`. */
  fc2Service: string | undefined;
  /** `NOTIFY_URL`: a webhook, instead of a function. */
  url: string | undefined;
}

export function readDefaultTargetSettings(env: Env): DefaultTargetSettings {
  return {
    function: setting(env, 'NOTIFY_FUNCTION'),
    qualifier: setting(env, 'NOTIFY_FUNCTION_QUALIFIER'),
    fc2Service: setting(env, 'NOTIFY_FC2_SERVICE'),
    url: setting(env, 'NOTIFY_URL'),
  };
}

export interface SweeperConfig extends CommonConfig, TrackingConfig {
  policy: SweepPolicy;
  /** Where jobs without a target of their own are notified. */
  defaultTarget: DefaultTargetSettings;
  /** Signs webhook notifications (`NOTIFY_URL` or per-job URLs). */
  webhookSecret: string | undefined;
  /** An explicit FC endpoint for InvokeFunction (the local runtime); default from account and region. */
  fcEndpoint: string | undefined;
  /** Invoke through FC's VPC-internal endpoint. */
  fcInternal: boolean;
}

export function readSweeperConfig(env: Env): SweeperConfig {
  return {
    ...readCommonConfig(env),
    ...readTrackingConfig(env),
    policy: readSweepPolicy(env),
    defaultTarget: readDefaultTargetSettings(env),
    webhookSecret: setting(env, 'NOTIFY_WEBHOOK_SECRET'),
    fcEndpoint: setting(env, 'NOTIFY_FC_ENDPOINT'),
    fcInternal: boolSetting(env, 'NOTIFY_FC_INTERNAL'),
  };
}

/**
 * Credentials from the standard variables (`ALIBABA_CLOUD_ACCESS_KEY_ID`, `_SECRET`, optional
 * `ALIBABA_CLOUD_SECURITY_TOKEN`), read at every call so a rotated token is picked up. For the command
 * line and local tools; functions on FC use the invocation's `context.credentials`.
 */
export function credentialsFromEnv(env: Env = process.env): CredentialsProvider {
  return () => {
    const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
    if (!accessKeyId || !accessKeySecret) {
      throw new ConfigError(
        'no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET ' +
          '(and ALIBABA_CLOUD_SECURITY_TOKEN for STS credentials)',
      );
    }
    return { accessKeyId, accessKeySecret, securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN || undefined };
  };
}
