/**
 * Where the Redis job store connects, and how: the `redis://` / `rediss://` URL read into a location
 * (errors and logs never repeat the password), and the ioredis options of a store's connection.
 *
 * Connection (serverless): ioredis connects on first use (`lazyConnect`), commands wait for the
 * connection at most `commandTimeoutMs`, and a refused connection fails the pending commands after one
 * retry (`maxRetriesPerRequest: 1`), so a down Redis rejects an operation within seconds (the store turns
 * that into a `StoreUnavailableError`, store.ts) instead of hanging the invocation. ioredis keeps
 * reconnecting in the background (a thawed FC instance finds its socket closed). ioredis's
 * auto-pipelining stays off (its default): the store already sends a window's commits as one script call,
 * and turned on it cost the sweep 9 % more CPU per job (README "Performance").
 */
import { isIP } from 'node:net';
import type { RedisOptions } from 'ioredis';
import { ConfigError } from '#shared/errors.ts';

export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

/** What a store's connection is made of (the store's own options add the key prefix). */
export interface RedisConnectionSettings {
  /** `redis://[[user]:password@]host[:port][/db]`, or `rediss://…` for TLS. */
  url: string;
  /** Longest wait for the TCP (and TLS) connection (default 3 s). */
  connectTimeoutMs?: number;
  /** Longest wait for one command, connecting included (default 5 s). */
  commandTimeoutMs?: number;
  /** Extra ioredis options, applied last (e.g. `tls: { ca }`). `keyPrefix` is refused: use `prefix`. */
  redis?: Partial<RedisOptions>;
}

export interface RedisLocation {
  tls: boolean;
  host: string;
  port: number;
  db: number;
  username: string | undefined;
  password: string | undefined;
  /** The URL without its password, for messages and logs. */
  display: string;
}

const URL_FORMS = 'redis://[[user]:password@]host[:port][/db] or rediss://… (TLS)';
/** scheme :// [userinfo @ (up to the last @)] host-or-[ipv6] [: port] [/db] [?query or #fragment] */
const URL_PATTERN =
  /^([a-z][a-z0-9+.-]*):\/\/(?:([^/?#]*)@)?(\[[^\]]*\]|[^:/?#@]*)(?::([^/?#]*))?(\/[^?#]*)?([?#].*)?$/is;

/**
 * Reads a Redis URL. `redis://:password@host` authenticates with the password alone (AUTH password);
 * `redis://user:password@host` as an ACL user (AUTH user password, Redis 6+). ApsaraDB's older
 * `account:password` single-argument form is `redis://:account%3Apassword@host`. Percent-escapes in user
 * and password are decoded. Errors never repeat the password.
 */
export function parseRedisUrl(url: string): RedisLocation {
  const match = URL_PATTERN.exec(url.trim());
  const redacted = redactUrl(url);
  if (!match) throw new ConfigError(`Redis URL ${redacted} must look like ${URL_FORMS}`);
  const [, schemeText = '', userinfo, hostText = '', portText, path, rest] = match;
  const scheme = schemeText.toLowerCase();
  if (scheme !== 'redis' && scheme !== 'rediss') {
    throw new ConfigError(`Redis URL ${redacted} has scheme ${scheme}:, expected redis: or rediss: (TLS)`);
  }
  const host = hostText.startsWith('[') ? hostText.slice(1, -1) : hostText;
  if (host === '') throw new ConfigError(`Redis URL ${redacted} names no host; use ${URL_FORMS}`);
  let port = 6379;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
    if (!(port >= 1 && port <= 65_535)) {
      throw new ConfigError(
        `Redis URL ${redacted} has port ${JSON.stringify(portText)}; expected 1 to 65535`,
      );
    }
  }
  let db = 0;
  if (path !== undefined && path !== '/') {
    const dbText = path.slice(1);
    db = /^\d{1,5}$/.test(dbText) ? Number(dbText) : Number.NaN;
    if (!Number.isInteger(db)) {
      throw new ConfigError(
        `Redis URL ${redacted} has database ${JSON.stringify(dbText)}; expected a number`,
      );
    }
  }
  if (rest !== undefined) {
    throw new ConfigError(`Redis URL ${redacted}: query strings and fragments are not supported`);
  }
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined && userinfo !== '') {
    const colon = userinfo.indexOf(':');
    try {
      const user = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
      username = user === '' ? undefined : user;
      password = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
    } catch {
      throw new ConfigError(`Redis URL ${redacted} has a bad %-escape in its user or password`);
    }
  }
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const user = username === undefined ? '' : `${encodeURIComponent(username)}${password ? ':***' : ''}@`;
  const auth = username === undefined && password ? ':***@' : user;
  return {
    tls: scheme === 'rediss',
    host,
    port,
    db,
    username,
    password,
    display: `${scheme}://${auth}${hostPart}:${port}/${db}`,
  };
}

/** `url` quoted, with its password (all but the user name, up to the last `@`) replaced. */
function redactUrl(url: string): string {
  const redacted = url.trim().replace(/^(.*?:\/\/)(.*)@/s, (_, start: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${start}${colon < 0 ? '***' : `${userinfo.slice(0, colon)}:***`}@`;
  });
  return JSON.stringify(redacted);
}

/** The ioredis options for a store: the URL's, the serverless defaults, then `options.redis`. */
export function redisConnectionOptions(options: RedisConnectionSettings): RedisOptions {
  const location = parseRedisUrl(options.url);
  if (options.redis?.keyPrefix) {
    throw new ConfigError('The Redis job store takes its key prefix from `prefix`, not ioredis `keyPrefix`');
  }
  return {
    host: location.host,
    port: location.port,
    db: location.db,
    ...(location.username === undefined ? {} : { username: location.username }),
    ...(location.password === undefined ? {} : { password: location.password }),
    ...(location.tls ? { tls: isIP(location.host) ? {} : { servername: location.host } } : {}),
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    // Commands issued while (re)connecting wait in the offline queue, bounded by commandTimeout; a
    // refused connection fails them after one retry rather than after the default 20.
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(100 * 2 ** (times - 1), 2_000),
    ...options.redis,
  };
}
