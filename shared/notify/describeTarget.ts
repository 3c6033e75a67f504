/**
 * Notify targets in words, for views, messages and logs: never a webhook URL's query string (it may hold
 * a token) nor its user info.
 */
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';

/** A webhook URL as it may be shown: `<origin><path>`, never the query string (it may hold a token) or user info. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * A target for messages and logs: `function name[:qualifier]`, `fc2 service/name[:qualifier]`, or
 * `webhook <origin><path>` (`shownUrl`).
 */
export function describeTarget(target: NotifyTarget): string {
  const qualified = (name: string, qualifier?: string) => (qualifier ? `${name}:${qualifier}` : name);
  switch (target.type) {
    case 'function':
      return `function ${qualified(target.name, target.qualifier)}`;
    case 'fc2':
      return `fc2 ${target.service}/${qualified(target.name, target.qualifier)}`;
    case 'webhook':
      return `webhook ${shownUrl(target.url)}`;
  }
}
