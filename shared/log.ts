/**
 * JSON-lines logging: one object per line with `time`, `level`, `msg` and the invocation's
 * `requestId`, `function` and `trigger`. Written with `process.stdout.write` because FC prefixes
 * `console.log` lines with its own text, which would break the JSON (docs/fc-runtime.md §8).
 *
 * Secrets never reach a line: any field whose name looks like a secret is replaced, at any depth, and
 * inside every string logged (error messages and stacks included) the values of secret-looking
 * `name: value` / `name=value` pairs are masked too (`maskSecrets`): an upstream error that echoes a
 * signed request must not put its token in a log line.
 *
 * An error is logged with its name, message, own fields and cause; its stack only on `error` lines
 * (a bug, a 5xx), told in the TypeScript sources (`sourceMappedStack`). Lower lines (a rejected request,
 * a failed poll) say what and why, without ~800 characters of minified frames.
 */
import { sourceMappedStack } from './sourceMappedStack.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };
export const LOG_LEVELS = Object.keys(RANK) as LogLevel[];

const SECRET_KEY = /secret|token|password|authorization|signature|credential/i;
const REDACTED = '[redacted]';

/**
 * Secrets inside text. Each alternative starts with a literal word, so a string without one is
 * scanned quickly; groups 1 to 5 are what is kept, the rest of the match is masked.
 * 1. `Authorization: ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`: to the end of the
 *    line or the closing quote (the value holds spaces and commas);
 * 2. `x-acs-security-token:CAIS…`, `x-fc-security-token: …`, `"accessKeySecret":"…"`,
 *    `password=…`, `Signature=…`: one word after the name (any name ending in token, secret,
 *    password or signature);
 * 3. webhook signatures: `sha256=<hex>`, `v2=<hex>`;
 * 4. the password of a URL: `redis://user:password@host`;
 * 5. an FC 2.0 signature, `FC <AccessKeyId>:<signature>` (the id stays: it is not secret).
 */
const SECRET_IN_TEXT =
  /(authorization["']?\s*[:=]\s*["']?)[^\r\n"']+|((?:token|secret|password|signature)["']?\s*[:=]\s*["']?)[^\s"'&,;\\]+|(\b(?:sha256|v\d)=)[0-9a-f]{16,}|(:\/\/[^\s/:@]*:)[^\s/@]+(?=@)|(\bFC [^:\s"']+:)[^\s"'\\]+/gi;

/** `text` with the values of secret-looking pairs in it replaced by `[redacted]`. */
export function maskSecrets(text: string): string {
  // Every pattern needs a `:` or `=`: most values (ids, states, numbers as text) are passed at once.
  if (!text.includes(':') && !text.includes('=')) return text;
  return text.replace(
    SECRET_IN_TEXT,
    (_, header?: string, pair?: string, hmac?: string, userinfo?: string, fc2?: string) =>
      `${header ?? pair ?? hmac ?? userinfo ?? fc2}${REDACTED}`,
  );
}

export type LogFields = Record<string, unknown>;

/** `value` as it may be logged; `stacks`: whether errors keep their stack. */
function redact(value: unknown, stacks: boolean, depth = 0): unknown {
  if (typeof value === 'string') return maskSecrets(value);
  if (depth > 6 || typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return redact(errorFields(value, stacks), stacks, depth + 1);
  if (Array.isArray(value)) return value.map((item) => redact(item, stacks, depth + 1));
  const out: LogFields = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redact(item, stacks, depth + 1);
  }
  return out;
}

/** How many causes deep an error is logged. */
const MAX_CAUSES = 3;

function errorFields(error: Error, stacks: boolean, causes = 0): LogFields {
  const own = 'toJSON' in error && typeof error.toJSON === 'function' ? (error.toJSON() as LogFields) : {};
  const fields: LogFields = { name: error.name, message: error.message };
  const { code } = error as { code?: unknown }; // a system error's ECONNREFUSED, an AppError's code
  if (typeof code === 'string') fields.code = code;
  Object.assign(fields, own);
  // What failed underneath (a socket's ECONNREFUSED under a network error, say), without its stack.
  const { cause } = error;
  if (cause !== undefined && !('cause' in fields) && causes < MAX_CAUSES) {
    fields.cause = cause instanceof Error ? errorFields(cause, false, causes + 1) : cause;
  }
  if (stacks && error.stack) fields.stack = sourceMappedStack(error.stack);
  return fields;
}

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` too (e.g. the invocation's request id). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const threshold = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < threshold) return;
    const logged = redact(fields ?? {}, level === 'error') as LogFields;
    const line = { time: now().toISOString(), level, msg, ...base, ...logged };
    write(`${JSON.stringify(line)}\n`);
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger(options, { ...base, ...(redact(fields, false) as LogFields) }),
  };
}
