/** The tracked jobs of one state, a page at a time (the API's cursor), with a tab per state. */

import { JOB_STATES, type JobState, type Tracking } from '#shared/query/operatorApi.ts';
import { clearAlert, showError } from './alerts.ts';
import { api } from './api.ts';
import { byId, h, timeElement } from './dom.ts';
import { formatCount, formatRelative, formatSeconds, stateLabel } from './format.ts';

export const PAGE_SIZE = 25;

export function timeToFinishSeconds(job: Tracking): number | null {
  return job.finishedAt === null ? null : (Date.parse(job.finishedAt) - Date.parse(job.firstSeenAt)) / 1000;
}

export function notificationBadge(job: Tracking): HTMLElement {
  const attempts = job.notifyAttempts > 0 ? ` · ${job.notifyAttempts} tries` : '';
  return h('span', { class: `badge ${job.notification}` }, `${job.notification}${attempts}`);
}

export class JobsView {
  state: JobState = 'pending';
  /** The cursor each visited page was fetched with; the last is the page shown. */
  private cursors: (string | null)[] = [null];
  private next: string | null = null;
  private selected: string | null = null;
  private rows = new Map<string, Tracking>();

  constructor(private readonly open: (id: string, row: Tracking | undefined) => void) {
    const tabs = byId('state-tabs');
    for (const state of JOB_STATES) {
      tabs.append(
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            id: `tab-${state}`,
            'aria-controls': 'jobs-panel',
            'data-state': state,
            onclick: () => this.show(state),
            onkeydown: (event) => this.moveFocus(event as KeyboardEvent, state),
          },
          stateLabel(state),
          h('span', { class: 'count', 'data-stat': `jobs.${state}` }, '–'),
        ),
      );
    }
    byId('first-page').addEventListener('click', () => this.page([null]));
    byId('prev-page').addEventListener('click', () => this.page(this.cursors.slice(0, -1)));
    byId('next-page').addEventListener('click', () => this.page([...this.cursors, this.next]));
    this.markTabs();
  }

  /** Shows the first page of `state`. */
  show(state: JobState): Promise<void> {
    this.state = state;
    this.markTabs();
    return this.page([null]);
  }

  /** Loads the page shown again (after a refresh or an action). */
  reload(): Promise<void> {
    return this.page(this.cursors);
  }

  select(id: string | null): void {
    this.selected = id;
    for (const row of byId('jobs-table').querySelectorAll<HTMLElement>('tbody tr')) {
      row.setAttribute('aria-selected', String(row.dataset.jobId === id));
    }
  }

  private async page(cursors: (string | null)[]): Promise<void> {
    const cursor = cursors.at(-1) ?? null;
    const key = `jobs-${this.state}`;
    try {
      const page = await api.list(this.state, PAGE_SIZE, cursor);
      clearAlert(key);
      this.cursors = cursors.length > 0 ? cursors : [null];
      this.next = page.cursor;
      this.render(page.jobs);
    } catch (error) {
      showError(key, error);
    }
  }

  private markTabs(): void {
    for (const state of JOB_STATES) {
      const tab = byId(`tab-${state}`);
      tab.setAttribute('aria-selected', String(state === this.state));
      tab.tabIndex = state === this.state ? 0 : -1;
    }
    byId('jobs-panel').setAttribute('aria-labelledby', `tab-${this.state}`);
    byId('when-heading').textContent = this.state === 'pending' ? 'next poll' : 'took';
  }

  /** Arrow keys move between the tabs, as in any tab list. */
  private moveFocus(event: KeyboardEvent, from: JobState): void {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    const to = JOB_STATES[
      (JOB_STATES.indexOf(from) + step + JOB_STATES.length) % JOB_STATES.length
    ] as JobState;
    byId(`tab-${to}`).focus();
    void this.show(to);
  }

  private render(jobs: Tracking[]): void {
    const now = Date.now();
    this.rows = new Map(jobs.map((job) => [job.id, job]));
    byId('jobs-table')
      .querySelector('tbody')
      ?.replaceChildren(
        ...jobs.map((job) =>
          h(
            'tr',
            { 'data-job-id': job.id, 'aria-selected': String(job.id === this.selected) },
            h(
              'td',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'job-link',
                  onclick: () => this.open(job.id, this.rows.get(job.id)),
                },
                job.id,
              ),
            ),
            h('td', {}, job.status || h('span', { class: 'muted' }, 'not polled yet')),
            h('td', { class: 'num' }, formatCount(job.attempts)),
            h('td', {}, timeElement(job.firstSeenAt, formatRelative(job.firstSeenAt, now))),
            h('td', {}, this.when(job, now)),
            h(
              'td',
              {},
              job.lastError
                ? h('span', { class: 'error-code', title: job.lastError.message }, job.lastError.code)
                : job.reason
                  ? h('span', { class: 'muted' }, job.reason)
                  : '',
            ),
            h('td', {}, notificationBadge(job)),
          ),
        ),
      );
    byId('jobs-empty').hidden = jobs.length > 0;
    (byId('prev-page') as HTMLButtonElement).disabled = this.cursors.length <= 1;
    (byId('first-page') as HTMLButtonElement).disabled = this.cursors.length <= 1;
    (byId('next-page') as HTMLButtonElement).disabled = this.next === null;
    byId('page-number').textContent =
      `page ${this.cursors.length}${jobs.length ? `, ${jobs.length} jobs` : ''}`;
  }

  private when(job: Tracking, now: number): Node | string {
    if (job.state === 'pending') {
      if (job.nextPollAt === null) return '—';
      const due = Date.parse(job.nextPollAt) <= now;
      return timeElement(job.nextPollAt, due ? 'due now' : formatRelative(job.nextPollAt, now));
    }
    return formatSeconds(timeToFinishSeconds(job));
  }
}
