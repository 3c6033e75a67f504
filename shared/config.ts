/**
 * Typed settings from environment variables. Each function reads its config once, at cold start, so a
 * wrong value fails the first invocation with a message naming the variable, not a poll at 3 a.m.
 * README "Configuration" lists every variable with its default.
 */
import { ConfigError } from '#shared/errors.ts';
import { LOG_LEVELS, type LogLevel } from '#shared/log.ts';

type Env = Readonly<Record<string, string | undefined>>;

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

/** What every function needs to reach aicontent and to log. */
export interface CommonConfig {
  aicontentEndpoint: string;
  logLevel: LogLevel;
  /** Tries per aicontent request, the first included. */
  aicontentMaxAttempts: number;
  /** Longest wait for one aicontent request. */
  aicontentTimeoutMs: number;
}

export function readCommonConfig(env: Env): CommonConfig {
  return {
    aicontentEndpoint: envString(env, 'AICONTENT_ENDPOINT', 'aicontent.aliyuncs.com'),
    logLevel: envEnum(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    aicontentMaxAttempts: envInt(env, 'AICONTENT_MAX_ATTEMPTS', 3, { min: 1, max: 10 }),
    aicontentTimeoutMs: envInt(env, 'AICONTENT_TIMEOUT_MS', 10_000, { min: 100, max: 120_000 }),
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
  /** Send webhooks to addresses that are not public unicast (local runs); public ones only otherwise. */
  allowPrivateAddresses: boolean;
}

export function readTrackingConfig(env: Env): TrackingConfig {
  return {
    jobStoreUrl: envString(env, 'JOB_STORE_URL', 'file:.data/jobs.db'),
    jobStorePrefix: envString(env, 'JOB_STORE_PREFIX', 'aicontent-jobs:'),
    allowHttpWebhooks: envBool(env, 'NOTIFY_ALLOW_HTTP', false),
    allowPrivateAddresses: envBool(env, 'NOTIFY_ALLOW_PRIVATE_ADDRESSES', false),
  };
}

export interface QueryConfig extends CommonConfig, TrackingConfig {
  /** The `retryAfterSeconds` hint (and `Retry-After`) given for a job that is still pending. */
  pollHintSeconds: number;
  /** Start tracking a pending job when somebody queries it. */
  trackOnQuery: boolean;
  /** The deployment signs webhooks (`NOTIFY_WEBHOOK_SECRET` is set): only then may a job name a URL. */
  webhooksSigned: boolean;
}

export function readQueryConfig(env: Env): QueryConfig {
  return {
    ...readCommonConfig(env),
    ...readTrackingConfig(env),
    pollHintSeconds: envInt(env, 'POLL_HINT_SECONDS', 10, { min: 1, max: 3600 }),
    trackOnQuery: envBool(env, 'TRACK_ON_QUERY', true),
    webhooksSigned: raw(env, 'NOTIFY_WEBHOOK_SECRET') !== undefined,
  };
}

/** How the sweeper paces polls, gives up, and shares work (DESIGN.md, Sweeper). */
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
}

export function readSweepPolicy(env: Env): SweepPolicy {
  return {
    batchSize: envInt(env, 'SWEEP_BATCH_SIZE', 500, { min: 1, max: 100_000 }),
    concurrency: envInt(env, 'SWEEP_CONCURRENCY', 16, { min: 1, max: 512 }),
    leaseMs: envInt(env, 'LEASE_SECONDS', 120, { min: 5, max: 86_400 }) * 1000,
    safetyMarginMs: envInt(env, 'SWEEP_SAFETY_MARGIN_SECONDS', 5, { min: 1, max: 600 }) * 1000,
    pollIntervalMs: envInt(env, 'POLL_INTERVAL_SECONDS', 10, { min: 1, max: 86_400 }) * 1000,
    backoffFactor: envInt(env, 'POLL_BACKOFF_PERCENT', 150, { min: 100, max: 1000 }) / 100,
    maxPollIntervalMs: envInt(env, 'MAX_POLL_INTERVAL_SECONDS', 300, { min: 1, max: 86_400 }) * 1000,
    jitter: envEnum(env, 'POLL_JITTER', ['full', 'none'] as const, 'full'),
    maxAttempts: envInt(env, 'MAX_POLL_ATTEMPTS', 200, { min: 1, max: 1_000_000 }),
    maxAgeMs: envInt(env, 'MAX_JOB_AGE_SECONDS', 86_400, { min: 60, max: 30 * 86_400 }) * 1000,
    notifyRetryMs: envInt(env, 'NOTIFY_RETRY_SECONDS', 30, { min: 1, max: 3600 }) * 1000,
  };
}

export interface SweeperConfig extends CommonConfig, TrackingConfig {
  policy: SweepPolicy;
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
    webhookSecret: raw(env, 'NOTIFY_WEBHOOK_SECRET'),
    fcEndpoint: raw(env, 'FC_ENDPOINT'),
    fcInternal: envBool(env, 'FC_INTERNAL', true),
  };
}
