/**
 * The one error hierarchy of the project. Every error a caller can act on is an `AppError`: it carries
 * the HTTP status our functions reply with, a stable `code` to branch on, and whether its message may
 * be shown to the caller (`expose`, true for 4xx). Anything else is an internal error: callers get a
 * generic 5xx with the request id, never the message.
 */
export interface AppErrorOptions extends ErrorOptions {
  statusCode?: number;
  expose?: boolean;
  /** How long the caller should wait before asking again (throttling, unavailable). */
  retryAfterMs?: number | undefined;
  /** Extra HTTP headers the reply needs (e.g. `allow` for a 405). */
  headers?: Record<string, string>;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly code: string;
  readonly statusCode: number;
  readonly expose: boolean;
  readonly retryAfterMs: number | undefined;
  readonly headers: Record<string, string>;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options);
    this.code = code;
    this.statusCode = options.statusCode ?? 500;
    this.expose = options.expose ?? this.statusCode < 500;
    this.retryAfterMs = options.retryAfterMs;
    this.headers = options.headers ?? {};
  }

  /**
   * The error as it may be recorded where others read it (a tracked job's `lastError`): the stable code
   * and a message of ours, never text that came from elsewhere. An exposed error's message is ours;
   * any other says only that the log has the details.
   */
  get summary(): string {
    return `${this.code}: ${this.expose ? this.message : UNEXPOSED}`;
  }
}

/** What `summary` says of an error whose message is not for callers. */
export const UNEXPOSED = 'failed (the log has the details)';

/** The caller sent something we cannot use: 400, message shown as is. */
export class InvalidInputError extends AppError {
  override name = 'InvalidInputError';
  constructor(message: string, code = 'InvalidInput') {
    super(code, message, { statusCode: 400 });
  }
}

/** A setting is missing or wrong. Thrown at cold start, so a bad deployment fails loudly and early. */
export class ConfigError extends AppError {
  override name = 'ConfigError';
  constructor(message: string) {
    super('ConfigError', message, { statusCode: 500 });
  }
}
