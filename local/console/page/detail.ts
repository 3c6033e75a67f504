/**
 * One job: its tracking (polls, times, the last poll's error, why the sweeper gave up, the notification),
 * what aicontent says of it now, and the two actions, untrack and re-send, each confirmed first.
 */

import type { JobReplyBody, Tracking } from '#shared/query/operatorApi.ts';
import { clearAlert, showError, showNotice } from './alerts.ts';
import { api } from './api.ts';
import { byId, h, timeElement } from './dom.ts';
import { formatRelative, formatSeconds, formatTime, stateLabel } from './format.ts';
import { notificationBadge, timeToFinishSeconds } from './jobs.ts';

/** Asks before an action; resolves true when the operator confirmed. */
function confirmAction(title: string, text: string, ok: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  byId('confirm-ok').textContent = ok;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) =>
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }),
  );
}

const when = (iso: string | null, now: number) =>
  iso === null
    ? h('span', { class: 'muted' }, '—')
    : h('span', {}, timeElement(iso, formatTime(iso)), ` (${formatRelative(iso, now)})`);

function row(term: string, value: Node | string, key: string): HTMLElement[] {
  return [h('dt', {}, term), h('dd', { 'data-field': key }, value)];
}

export class DetailView {
  private id: string | null = null;

  constructor(
    /** Called after an action changed the job: the list and the numbers are stale. */
    private readonly changed: () => Promise<void>,
    private readonly selected: (id: string | null) => void,
  ) {}

  /** Shows `id`: the list's row at once if there is one, then the query function's reply. */
  async open(id: string, row?: Tracking): Promise<void> {
    this.id = id;
    this.selected(id);
    const body = byId('detail-body');
    body.replaceChildren(h('p', { class: 'muted' }, `Loading job ${id}…`));
    if (row) this.render(id, row, undefined);
    const key = `job-${id}`;
    try {
      const jobReply = await api.job(id);
      clearAlert(key);
      if (this.id === id) this.render(id, jobReply.tracking, jobReply);
    } catch (error) {
      showError(key, error);
      if (this.id === id && !row)
        body.replaceChildren(h('p', { class: 'muted' }, `Could not load job ${id}.`));
    }
  }

  private render(id: string, tracking: Tracking | undefined, jobReply: JobReplyBody | undefined): void {
    const now = Date.now();
    const heading = byId('detail-heading');
    heading.replaceChildren(
      'Job ',
      h('code', {}, id),
      tracking ? h('span', { class: `badge ${tracking.state}` }, stateLabel(tracking.state)) : '',
    );
    const parts: (HTMLElement | null)[] = [];
    if (!tracking) {
      parts.push(
        h(
          'p',
          { class: 'muted', 'data-field': 'not-tracked' },
          'This job is not tracked: the sweeper does not poll it.',
        ),
      );
    } else {
      if (tracking.lastError) {
        parts.push(
          h(
            'div',
            { class: 'last-error', 'data-field': 'lastError' },
            h('strong', {}, 'Last poll failed: '),
            h('code', { class: 'error-code' }, tracking.lastError.code),
            h('p', {}, tracking.lastError.message),
          ),
        );
      }
      const took = timeToFinishSeconds(tracking);
      parts.push(
        h(
          'dl',
          {},
          ...row('aicontent status', tracking.status || 'not polled yet', 'status'),
          ...row('polls', String(tracking.attempts), 'attempts'),
          ...row('tracked since', when(tracking.firstSeenAt, now), 'firstSeenAt'),
          ...row('last polled', when(tracking.lastPolledAt, now), 'lastPolledAt'),
          ...(tracking.state === 'pending'
            ? row('next poll', when(tracking.nextPollAt, now), 'nextPollAt')
            : row(
                'ended',
                h(
                  'span',
                  {},
                  when(tracking.finishedAt, now),
                  took === null ? '' : `, took ${formatSeconds(took)}`,
                ),
                'finishedAt',
              )),
          ...(tracking.reason ? row('gave up because', tracking.reason, 'reason') : []),
          ...row('notify', tracking.notify ?? "the deployment's default target", 'notify'),
          ...row('notification', notificationBadge(tracking), 'notification'),
          ...row('images', tracking.images.length ? tracking.images.join(', ') : '—', 'images'),
          ...(jobReply?.job.modelId ? row('model', jobReply.job.modelId, 'modelId') : []),
          ...(typeof jobReply?.job.progress === 'number'
            ? row('progress', `${Math.round(jobReply.job.progress * 100)} %`, 'progress')
            : []),
        ),
      );
      parts.push(this.actions(id, tracking));
    }
    byId('detail-body').replaceChildren(...parts.filter((part) => part !== null));
  }

  private actions(id: string, tracking: Tracking): HTMLElement {
    const ended = tracking.state !== 'pending';
    return h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          id: 'resend',
          disabled: !ended,
          'aria-describedby': ended ? null : 'resend-hint',
          onclick: () => this.resend(id),
        },
        'Re-send notification',
      ),
      h(
        'button',
        { type: 'button', class: 'danger', id: 'untrack', onclick: () => this.untrack(id) },
        'Untrack',
      ),
      ended ? null : h('span', { class: 'hint', id: 'resend-hint' }, 'Re-send is for jobs that ended.'),
    );
  }

  private async untrack(id: string): Promise<void> {
    const confirmed = await confirmAction(
      `Untrack job ${id}?`,
      'The sweeper stops polling it and nobody is notified when it ends. Its tracking record is deleted; tracking it again starts from scratch.',
      'Untrack',
    );
    if (!confirmed) return;
    try {
      await api.untrack(id);
      clearAlert(`action-${id}`);
      showNotice(`action-${id}`, `Job ${id} is no longer tracked.`);
      if (this.id === id) this.clear();
      await this.changed();
    } catch (error) {
      showError(`action-${id}`, error);
    }
  }

  private async resend(id: string): Promise<void> {
    const confirmed = await confirmAction(
      `Re-send the notification of job ${id}?`,
      'Its notification goes back to pending and goes out on the next sweep. The target may see it twice: it should drop repeats by idempotency key.',
      'Re-send',
    );
    if (!confirmed) return;
    try {
      const { tracking } = await api.resendNotification(id);
      showNotice(`action-${id}`, `The notification of job ${id} goes out on the next sweep.`);
      if (this.id === id) this.render(id, tracking, undefined);
      await this.changed();
    } catch (error) {
      showError(`action-${id}`, error);
    }
  }

  private clear(): void {
    this.id = null;
    this.selected(null);
    byId('detail-heading').textContent = 'Job detail';
    byId('detail-body').replaceChildren(
      h('p', { class: 'empty' }, 'Pick a job to see its tracking, its last error and its notification.'),
    );
  }
}
