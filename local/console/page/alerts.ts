/**
 * The page's message area: every failed call is shown here with what was asked, the status, the code,
 * the message and the request id (never swallowed); successes are confirmed here too. A message is
 * keyed by what it is about, so a refresh that fails again replaces its message instead of piling up.
 */
import { ApiError } from './api.ts';
import { byId, h } from './dom.ts';

const area = () => byId('alerts');

function put(key: string, element: HTMLElement): void {
  element.dataset.key = key;
  const old = [...area().children].find((child) => (child as HTMLElement).dataset.key === key);
  if (old) old.replaceWith(element);
  else area().append(element);
}

const dismiss = (element: () => HTMLElement) =>
  h('button', { type: 'button', 'aria-label': 'Dismiss', onclick: () => element().remove() }, '×');

/** A failure, in full. */
export function showError(key: string, error: unknown): void {
  let element: HTMLElement | undefined;
  const close = dismiss(() => element as HTMLElement);
  if (error instanceof ApiError) {
    const status = error.status === 0 ? 'no answer' : String(error.status);
    element = h(
      'div',
      { class: 'alert', 'data-error-code': error.code },
      h('strong', {}, error.request),
      h('span', {}, `${status} `, h('code', {}, error.code), `: ${error.message}`),
      error.requestId ? h('span', { class: 'muted' }, `request ${error.requestId}`) : null,
      close,
    );
  } else {
    element = h('div', { class: 'alert' }, h('strong', {}, key), h('span', {}, String(error)), close);
  }
  put(key, element);
}

/** Something done, said once. */
export function showNotice(key: string, text: string): void {
  let element: HTMLElement | undefined;
  element = h(
    'div',
    { class: 'alert ok', role: 'status' },
    h('span', {}, text),
    dismiss(() => element as HTMLElement),
  );
  put(key, element);
}

/** The message about `key` is no longer true (the call worked this time). */
export function clearAlert(key: string): void {
  for (const child of [...area().children]) if ((child as HTMLElement).dataset.key === key) child.remove();
}
