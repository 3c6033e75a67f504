/**
 * The one reader of a server's "wait before you ask again": HTTP `Retry-After` (whole seconds or an
 * HTTP-date, RFC 9110 §10.2.3; webhook receivers, FC) and aicontent's `x-acs-retry-after`
 * (milliseconds). The value comes from outside, so it is bounded here, wherever it is read: a server
 * asking for `1e15` must not park a job for thirty thousand years.
 */

export interface RetryAfterOptions {
  /** `seconds` for HTTP `Retry-After` (which may also be an HTTP-date), `milliseconds` for `x-acs-retry-after`. */
  unit: 'seconds' | 'milliseconds';
  /** The longest wait taken from a server; a longer request is cut to this. */
  maxMs: number;
  /** For an HTTP-date: the time now (epoch ms). */
  now?: () => number;
}

const DIGITS = /^\d+$/;
/** Every HTTP-date form starts with the day's name (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7). */
const HTTP_DATE = /^[A-Za-z]{3}/;

/**
 * The wait asked for, in ms, in `[0, maxMs]`; undefined when there is no header or it cannot be read
 * (a sign, an exponent, a fraction, a date in the wrong format: then the caller's own backoff applies).
 */
export function retryAfterMs(
  value: string | null | undefined,
  options: RetryAfterOptions,
): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  let ms: number;
  if (DIGITS.test(text)) {
    ms = Number(text) * (options.unit === 'seconds' ? 1000 : 1);
  } else if (options.unit === 'seconds' && HTTP_DATE.test(text)) {
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    ms = date - (options.now ?? Date.now)();
  } else {
    return undefined;
  }
  // A long digit string reads as a huge number or Infinity: both are cut to the bound.
  return Math.min(Math.max(0, ms), options.maxMs);
}
