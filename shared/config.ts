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

export interface QueryConfig extends CommonConfig {
  /** The `retryAfterSeconds` hint (and `Retry-After`) given for a job that is still pending. */
  pollHintSeconds: number;
}

export function readQueryConfig(env: Env): QueryConfig {
  return {
    ...readCommonConfig(env),
    pollHintSeconds: envInt(env, 'POLL_HINT_SECONDS', 10, { min: 1, max: 3600 }),
  };
}
