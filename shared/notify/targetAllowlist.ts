/**
 * `NOTIFY_TARGETS_ALLOWED`: the per-job targets a deployment lets `POST /jobs` name. Safe by default: a
 * per-job target has the sweeper invoke a function with its role, or POST a body signed with the
 * deployment's secret, so an empty or unset setting allows none. notifyTarget.ts checks targets against
 * it. A module of its own so that the query function reads the setting at cold start (a wrong entry
 * fails there) without loading the target checks, which only `POST /jobs` needs.
 */
import { ConfigError } from '#shared/errors.ts';
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';

/** The per-job targets a deployment accepts; see `targetAllowlist`. */
export interface TargetAllowlist {
  /** The setting as given, for messages ('' when it allows nothing). */
  text: string;
  allows(target: NotifyTarget): boolean;
}

/** No per-job target at all: what an empty or unset `NOTIFY_TARGETS_ALLOWED` means. */
export const NO_TARGETS: TargetAllowlist = { text: '', allows: () => false };

/** `*` stands for any run of characters; everything else for itself. */
function globPattern(glob: string): RegExp {
  const parts = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`);
}

type Allow = (target: NotifyTarget) => boolean;

function allowEntry(entry: string): Allow {
  const [kind, value = ''] = entry.split(/:(.*)/s);
  if (kind === 'fn' && value) {
    const name = globPattern(value);
    return (target) => target.type === 'function' && name.test(target.name);
  }
  if (kind === 'fc2' && /^[^/]+\/[^/]+$/.test(value)) {
    const [service, fn] = value.split('/').map(globPattern) as [RegExp, RegExp];
    return (target) => target.type === 'fc2' && service.test(target.service) && fn.test(target.name);
  }
  // A URL prefix is compared as URLs are sent (host lower-cased, default port and `..` gone), and must
  // end in `/`, so that `https://hooks.example.com/` does not allow `https://hooks.example.com.evil.test`.
  if (kind === 'url' && URL.canParse(value) && value.endsWith('/') && /^https?:\/\//i.test(value)) {
    const prefix = new URL(value).href;
    return (target) =>
      target.type === 'webhook' && URL.canParse(target.url) && new URL(target.url).href.startsWith(prefix);
  }
  throw new ConfigError(
    `NOTIFY_TARGETS_ALLOWED: ${JSON.stringify(entry)} is not an entry; use fn:<function>, ` +
      'fc2:<service>/<function> (both may hold *) or url:<https URL prefix ending in />',
  );
}

/**
 * The per-job targets `POST /jobs` may ask for, from the text of `NOTIFY_TARGETS_ALLOWED`: comma-separated
 * `fn:on-job-done`, `fn:store-*`, `fc2:legacy/on-*`, `url:https://hooks.example.com/aicontent/`.
 * Empty: none. The deployment's default target needs no entry.
 * Throws `ConfigError` for an entry it cannot read.
 */
export function targetAllowlist(text: string): TargetAllowlist {
  if (text === '') return NO_TARGETS;
  const rules = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map(allowEntry);
  return { text, allows: (target) => rules.some((allows) => allows(target)) };
}
