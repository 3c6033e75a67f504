/**
 * Notify targets: where the news that a job ended goes (`NotifyTarget`, shared/jobs/jobStore.ts), as a
 * deployment configures it (`NOTIFY_FUNCTION` / `NOTIFY_URL`) and as a caller of `POST /jobs` asks for it.
 *
 * One set of rules checks every target wherever it comes from, so a name or URL the notifier would
 * refuse is refused up front: with a `ConfigError` at cold start, an `InvalidInputError` (400) on
 * `POST /jobs`, or a non-retryable `NotifyError` if one still reaches the notifier.
 *
 * Safe by default: a per-job target has the sweeper invoke a function with its role, or POST a body
 * signed with the deployment's secret, so `POST /jobs` may name only the targets `NOTIFY_TARGETS_ALLOWED`
 * lists (none when it is empty; targetAllowlist.ts). Webhooks go to public addresses only: a
 * URL whose host is a literal address that is not public unicast (or `localhost`) is refused here, and
 * a host name is checked again, against every address it resolves to, when it is sent to
 * (shared/net/checkedPost.ts). `NOTIFY_ALLOW_PRIVATE_ADDRESSES` lifts the address check for local runs.
 */
import type { DefaultTargetSettings } from '#shared/config.ts';
import { ConfigError, InvalidInputError } from '#shared/errors.ts';
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';
import { isRecord } from '#shared/json.ts';
import { hostOf, isLocalhostName, kindOfAddress } from '#shared/net/address.ts';
import { describeTarget } from './describeTarget.ts';
import { NO_TARGETS, type TargetAllowlist } from './targetAllowlist.ts';

/**
 * FC 3.0 function names: letters, digits, `_`, `-`, 1–128 characters, not starting with a digit or `-`;
 * `$` appears in functions migrated from 2.0 (`<service>$<function>`).
 */
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,127}$/;
/** FC 2.0 service and function names: the same, without `$`. */
const FC2_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
/** A version number, `LATEST` or an alias name. No `.`: fc2 sends it as `<service>.<qualifier>`. */
const QUALIFIER = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/;
const MAX_URL_LENGTH = 2048;

const SHAPES = '{"function": "name"}, {"fc2": {"service": "s", "function": "f"}} or {"url": "https://…"}';

export interface TargetRules {
  /** Accept `http:` webhook URLs (the local runtime and tests, on loopback); `https:` only otherwise. */
  allowHttp?: boolean | undefined;
  /** Accept webhook hosts that are not public addresses (`NOTIFY_ALLOW_PRIVATE_ADDRESSES`, local runs). */
  allowPrivateAddresses?: boolean | undefined;
  /**
   * Only targets it allows (`NOTIFY_TARGETS_ALLOWED`). Absent: no allowlist check (the deployment's
   * default target); per-job targets are always checked, against none when it is absent.
   */
  allowed?: TargetAllowlist | undefined;
  /** False when the deployment cannot sign webhooks (no `NOTIFY_WEBHOOK_SECRET`): webhook targets are refused. */
  webhooksSigned?: boolean | undefined;
}

function nameProblem(what: string, value: string, pattern: RegExp): string | undefined {
  if (pattern.test(value)) return undefined;
  const dollar = pattern === FUNCTION_NAME ? ' (and "$" in a function migrated from FC 2.0)' : '';
  return (
    `${what} ${JSON.stringify(value)} is not valid: use 1 to 128 letters, digits, "_" or "-"${dollar}, ` +
    'not starting with a digit or "-"'
  );
}

function qualifierProblem(qualifier: string | undefined): string | undefined {
  if (qualifier === undefined || QUALIFIER.test(qualifier)) return undefined;
  return (
    `qualifier ${JSON.stringify(qualifier)} is not valid: use a version number, LATEST or an alias name ` +
    '(1 to 128 letters, digits, "_" or "-")'
  );
}

/** Why a URL's host is not a place for a webhook, when that can be told without resolving it. */
function hostProblem(url: URL, rules: TargetRules): string | undefined {
  if (rules.allowPrivateAddresses) return undefined;
  const host = hostOf(url);
  const kind = isLocalhostName(host) ? 'loopback' : kindOfAddress(host);
  if (kind === undefined || kind === 'public') return undefined;
  return (
    `the webhook URL's host ${url.hostname} is a ${kind} address: webhooks go to public addresses only ` +
    '(NOTIFY_ALLOW_PRIVATE_ADDRESSES=true lifts this, for local runs)'
  );
}

function urlProblem(url: string, rules: TargetRules): string | undefined {
  if (url.length > MAX_URL_LENGTH) return `the webhook URL is over ${MAX_URL_LENGTH} characters long`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the webhook URL is not an absolute URL';
  }
  if (parsed.protocol !== 'https:' && !(rules.allowHttp && parsed.protocol === 'http:')) {
    return `the webhook URL must use https:, not ${parsed.protocol}`;
  }
  // Credentials in a URL end up in logs and views; a receiver authenticates us by the signature.
  if (parsed.username || parsed.password) return 'the webhook URL must not hold a user name or password';
  if (rules.webhooksSigned === false) {
    return 'this deployment cannot sign webhooks (no NOTIFY_WEBHOOK_SECRET), so it sends none';
  }
  return hostProblem(parsed, rules);
}

function shapeProblem(target: NotifyTarget, rules: TargetRules): string | undefined {
  switch (target.type) {
    case 'function':
      return nameProblem('function name', target.name, FUNCTION_NAME) ?? qualifierProblem(target.qualifier);
    case 'fc2':
      return (
        nameProblem('FC 2.0 service name', target.service, FC2_NAME) ??
        nameProblem('FC 2.0 function name', target.name, FC2_NAME) ??
        qualifierProblem(target.qualifier)
      );
    case 'webhook':
      return urlProblem(target.url, rules);
  }
}

/** What is wrong with a target, or undefined when it is usable. */
export function targetProblem(target: NotifyTarget, rules: TargetRules = {}): string | undefined {
  const problem = shapeProblem(target, rules);
  if (problem || !rules.allowed || rules.allowed.allows(target)) return problem;
  if (rules.allowed.text === '') {
    return (
      'this deployment accepts no per-job notify target: leave notify out to use its default target, or ' +
      'have its operator list the targets callers may name in NOTIFY_TARGETS_ALLOWED ' +
      '(e.g. fn:on-job-done, fc2:service/function, url:https://hooks.example.com/aicontent/)'
    );
  }
  return `${describeTarget(target)} is not allowed here (NOTIFY_TARGETS_ALLOWED: ${rules.allowed.text})`;
}

/** The rules for a per-job target: the allowlist always applies (none allowed when there is none). */
export function perJobRules(rules: TargetRules): TargetRules {
  return { ...rules, allowed: rules.allowed ?? NO_TARGETS };
}

/**
 * A webhook URL as it is stored, sent and signed (webhook.ts): the WHATWG URL serialization
 * (`new URL(url).href`: scheme and host lower-case, the default port left out, the path
 * percent-encoded, `/` for an empty path) without any `#fragment`, which is never sent.
 */
export function canonicalWebhookUrl(url: string): string {
  const parsed = new URL(url);
  parsed.hash = '';
  return parsed.href;
}

/** Webhook URLs in their canonical form, once they passed the checks. */
function canonical(target: NotifyTarget): NotifyTarget {
  return target.type === 'webhook' ? { ...target, url: canonicalWebhookUrl(target.url) } : target;
}

function invalid(message: string): InvalidInputError {
  return new InvalidInputError(`notify: ${message}`, 'InvalidNotifyTarget');
}

function onlyKeys(input: Record<string, unknown>, allowed: readonly string[], where: string): void {
  const unknown = Object.keys(input).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw invalid(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} in ${where}`);
  }
}

function stringField(input: Record<string, unknown>, key: string, where: string): string {
  const value = input[key];
  if (typeof value !== 'string') throw invalid(`${where}.${key} must be a string`);
  return value;
}

function optionalString(input: Record<string, unknown>, key: string, where: string): string | undefined {
  return input[key] === undefined ? undefined : stringField(input, key, where);
}

/** The one shape `POST /jobs` takes, mapped to a target (the stored `{type: …}` form is not accepted). */
function targetOf(input: Record<string, unknown>): NotifyTarget {
  const kinds = ['function', 'fc2', 'url'].filter((key) => input[key] !== undefined);
  if (kinds.length !== 1) {
    throw invalid(`give exactly one of "function", "fc2" or "url", like ${SHAPES}`);
  }
  const [kind] = kinds;
  if (kind === 'function') {
    onlyKeys(input, ['function', 'qualifier'], 'notify');
    const qualifier = optionalString(input, 'qualifier', 'notify');
    const name = stringField(input, 'function', 'notify');
    return qualifier === undefined ? { type: 'function', name } : { type: 'function', name, qualifier };
  }
  if (kind === 'fc2') {
    onlyKeys(input, ['fc2'], 'notify');
    const fc2 = input.fc2;
    if (!isRecord(fc2)) throw invalid('notify.fc2 must be an object like {"service": "s", "function": "f"}');
    onlyKeys(fc2, ['service', 'function', 'qualifier'], 'notify.fc2');
    const service = stringField(fc2, 'service', 'notify.fc2');
    const name = stringField(fc2, 'function', 'notify.fc2');
    const qualifier = optionalString(fc2, 'qualifier', 'notify.fc2');
    return qualifier === undefined
      ? { type: 'fc2', service, name }
      : { type: 'fc2', service, name, qualifier };
  }
  onlyKeys(input, ['url'], 'notify');
  return { type: 'webhook', url: stringField(input, 'url', 'notify') };
}

/**
 * Reads the `notify` field of `POST /jobs`:
 *
 * - `{"function": "on-job-done", "qualifier"?: "LIVE"}`: an FC 3.0 function, invoked asynchronously;
 * - `{"fc2": {"service": "legacy", "function": "on-job-done", "qualifier"?: "LIVE"}}`: a function in an
 *   FC 2.0 service;
 * - `{"url": "https://example.com/hooks/aicontent"}`: a webhook, POSTed a signed JSON body; the URL is
 *   kept in canonical form (`canonicalWebhookUrl`), the one its signatures are computed with.
 *
 * Absent or null means the deployment's default target. Any other must be one `rules.allowed` allows
 * (none when absent). Throws `InvalidInputError` (400) saying what is wrong with anything else.
 */
export function parseNotifyTarget(input: unknown, rules: TargetRules = {}): NotifyTarget | null {
  if (input === undefined || input === null) return null;
  if (!isRecord(input)) throw invalid(`must be an object like ${SHAPES}`);
  const target = targetOf(input);
  const problem = targetProblem(target, perJobRules(rules));
  if (problem) throw invalid(problem);
  return canonical(target);
}

/**
 * The deployment's default target, from `NOTIFY_FUNCTION` (plus `NOTIFY_FUNCTION_QUALIFIER`, and
 * `NOTIFY_FC2_SERVICE` for an FC 2.0 function) or `NOTIFY_URL`; null when neither is set. Throws
 * `ConfigError` for both at once, for a qualifier or service without a function, and for a bad value.
 */
export function defaultNotifyTarget(
  settings: DefaultTargetSettings,
  rules: TargetRules = {},
): NotifyTarget | null {
  const { function: name, qualifier, fc2Service: service, url } = settings;
  if (name && url) {
    throw new ConfigError('set NOTIFY_FUNCTION or NOTIFY_URL, not both: a job is notified in one place');
  }
  if (!name && (qualifier || service)) {
    throw new ConfigError('NOTIFY_FUNCTION_QUALIFIER and NOTIFY_FC2_SERVICE need NOTIFY_FUNCTION');
  }
  let target: NotifyTarget;
  if (name) {
    target = service ? { type: 'fc2', service, name } : { type: 'function', name };
    if (qualifier) target.qualifier = qualifier;
  } else if (url) {
    target = { type: 'webhook', url };
  } else {
    return null;
  }
  const problem = targetProblem(target, rules);
  if (problem) throw new ConfigError(`${url ? 'NOTIFY_URL' : 'NOTIFY_FUNCTION'}: ${problem}`);
  return canonical(target);
}
