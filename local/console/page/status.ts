/** The status numbers, the two charts with their tables, and why polls failed, all from one `GET /stats`. */

import type { Stats } from '#shared/query/operatorApi.ts';
import { HistogramChart, pollErrors, SweepsChart } from './charts.ts';
import { codeMeaning } from './codes.ts';
import { byId, h, timeElement } from './dom.ts';
import { bucketLabel, formatCount, formatMs, formatRelative, formatSeconds, formatTime } from './format.ts';

/** The text shown for one `data-stat` path of the stats: counts as counts, `…Seconds` as durations. */
export function statText(stats: Stats, path: string): string {
  const value = path
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], stats);
  if (path.endsWith('Seconds')) return formatSeconds(value as number | null);
  return typeof value === 'number' ? formatCount(value) : '—';
}

const fill = (tbody: HTMLElement, rows: HTMLTableRowElement[]) => tbody.replaceChildren(...rows);
const num = (value: number) => h('td', { class: 'num' }, formatCount(value));

export class StatusView {
  private readonly histogram = new HistogramChart(byId('histogram'), 200);
  private readonly sweeps = new SweepsChart(byId('sweeps'), 200);

  render(stats: Stats): void {
    for (const element of document.querySelectorAll<HTMLElement>('[data-stat]')) {
      element.textContent = statText(stats, element.dataset.stat ?? '');
    }
    const generated = byId('generated-at');
    generated.replaceWith(
      Object.assign(timeElement(stats.generatedAt, formatTime(stats.generatedAt)), { id: 'generated-at' }),
    );
    byId('ttf-count').textContent = `last ${formatCount(stats.timeToFinish.count)} jobs`;
    this.renderHistogram(stats);
    this.renderSweeps(stats);
    this.renderFailures(stats);
  }

  private renderHistogram(stats: Stats): void {
    const buckets = stats.timeToFinish.histogram;
    this.histogram.update(buckets);
    fill(
      byId('histogram-table').querySelector('tbody') as HTMLElement,
      buckets.map((bucket, i) =>
        h(
          'tr',
          {},
          h('td', {}, bucketLabel(bucket.upToSeconds, buckets[i - 1]?.upToSeconds ?? null)),
          num(bucket.count),
        ),
      ),
    );
  }

  private renderSweeps(stats: Stats): void {
    this.sweeps.update(stats.sweeps);
    const now = Date.parse(stats.generatedAt);
    fill(
      byId('sweeps-table').querySelector('tbody') as HTMLElement,
      stats.sweeps.map((sweep) =>
        h(
          'tr',
          {},
          h('td', {}, timeElement(sweep.startedAt, formatRelative(sweep.startedAt, now))),
          h('td', { class: 'num' }, formatMs(sweep.durationMs)),
          ...[
            sweep.claimed,
            sweep.succeeded,
            sweep.failed,
            sweep.gaveUp,
            sweep.rescheduled,
            sweep.notified,
            sweep.notifyFailed,
            pollErrors(sweep),
          ].map(num),
        ),
      ),
    );
  }

  /** Failed polls by code over the recent sweeps: how many, in how many sweeps, and what the code means. */
  private renderFailures(stats: Stats): void {
    const byCode = new Map<string, { polls: number; sweeps: number }>();
    for (const sweep of stats.sweeps) {
      for (const [code, count] of Object.entries(sweep.errors)) {
        const seen = byCode.get(code) ?? { polls: 0, sweeps: 0 };
        byCode.set(code, { polls: seen.polls + count, sweeps: seen.sweeps + 1 });
      }
    }
    const oldest = stats.sweeps.at(-1);
    byId('failures-scope').textContent = oldest
      ? `in the last ${stats.sweeps.length} sweeps (since ${formatRelative(oldest.startedAt, Date.parse(stats.generatedAt))})`
      : 'no sweep yet';
    const rows = [...byCode].sort(([, a], [, b]) => b.polls - a.polls);
    fill(
      byId('failures-table').querySelector('tbody') as HTMLElement,
      rows.length === 0
        ? [h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'no failed polls'))]
        : rows.map(([code, { polls, sweeps }]) =>
            h(
              'tr',
              { 'data-code': code },
              h('td', {}, h('code', {}, code), h('span', { class: 'meaning' }, codeMeaning(code) ?? '')),
              num(polls),
              num(sweeps),
            ),
          ),
    );
    const sum = (pick: (sweep: Stats['sweeps'][number]) => number) =>
      stats.sweeps.reduce((total, sweep) => total + pick(sweep), 0);
    byId('failures-notes').textContent =
      `Notifications that failed in these sweeps: ${formatCount(sum((s) => s.notifyFailed))} (retried on later sweeps).`;
  }
}
