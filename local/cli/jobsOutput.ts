/**
 * How `npm run jobs` prints the operator API's responses for people: a table of jobs, one job's tracking,
 * the stats. Pure functions of the response's body and the time; `--json` prints the body as it came instead.
 */

import {
  bucketLabel,
  formatCount,
  formatMs,
  formatRelative,
  formatSeconds,
  stateLabel,
} from '#local/console/page/format.ts';
import type { JobPage, JobReplyBody, JobState, Stats, Tracking } from '#shared/query/operatorApi.ts';

/** Columns padded to their widest cell; the last one as it is. */
function table(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** A time as ISO-8601 to the second (UTC), and how long from now. */
function when(iso: string | null, now: number): string {
  return iso === null ? '—' : `${iso.replace(/\.\d{3}Z$/, 'Z')} (${formatRelative(iso, now)})`;
}

/** What is next for a job: its next poll while pending, else when it ended. */
function nextOrEnded(job: Tracking, now: number): string {
  if (job.state !== 'pending')
    return job.finishedAt ? `ended ${formatRelative(job.finishedAt, now)}` : 'ended';
  return job.nextPollAt ? `next poll ${formatRelative(job.nextPollAt, now)}` : '—';
}

export function formatJobPage(page: JobPage, state: JobState, now: number): string[] {
  if (page.jobs.length === 0) return [`No ${stateLabel(state)} jobs${page.cursor ? ' on this page' : ''}.`];
  const rows = [
    ['ID', 'STATUS', 'POLLS', 'WHEN', 'NOTIFICATION', 'LAST ERROR'],
    ...page.jobs.map((job) => [
      job.id,
      job.status || '—',
      String(job.attempts),
      nextOrEnded(job, now),
      job.notification,
      job.lastError?.code ?? '',
    ]),
  ];
  const lines = [`${formatCount(page.jobs.length)} ${stateLabel(state)} jobs:`, ...table(rows)];
  if (page.cursor) lines.push(`More: npm run jobs -- list ${state} --cursor ${page.cursor}`);
  return lines;
}

/** One job's tracking, a line per field. */
export function formatTracking(job: Tracking, now: number): string[] {
  const rows: [string, string][] = [
    ['state', stateLabel(job.state)],
    ['aicontent status', job.status || 'not polled yet'],
    ['polls', String(job.attempts)],
    ['tracked since', when(job.firstSeenAt, now)],
    ['last polled', when(job.lastPolledAt, now)],
    job.state === 'pending' ? ['next poll', when(job.nextPollAt, now)] : ['ended', when(job.finishedAt, now)],
  ];
  if (job.lastError) rows.push(['last error', `${job.lastError.code}: ${job.lastError.message}`]);
  if (job.reason) rows.push(['gave up because', job.reason]);
  rows.push(
    ['images', job.images.length ? job.images.join(', ') : '—'],
    ['notify', job.notify ?? "the deployment's default target"],
    ['notification', `${job.notification} (${job.notifyAttempts} tries)`],
  );
  return table(rows.map(([name, value]) => [`  ${name}`, value]));
}

export function formatJobReply(reply: JobReplyBody, now: number): string[] {
  const { job } = reply;
  const progress = job.progress === null ? '' : `, progress ${Math.round(job.progress * 100)} %`;
  const lines = [
    `Job ${job.id}: ${job.status} (${stateLabel(job.state)}${progress})${reply.terminal ? '' : `, ask again in ${reply.retryAfterSeconds} s`}`,
  ];
  if (job.images.length) lines.push(`  images: ${job.images.join(', ')}`);
  if (!reply.tracking) return [...lines, 'Not tracked: the sweeper does not poll it.'];
  return [...lines, 'Tracking:', ...formatTracking(reply.tracking, now)];
}

const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([key, count]) => `${stateLabel(key)} ${formatCount(count)}`)
    .join(', ');

export function formatStats(stats: Stats): string[] {
  const finish = stats.timeToFinish;
  const lines = [
    `Jobs: ${counts(stats.jobs)}`,
    `  due now ${formatCount(stats.dueNow)}; oldest pending ${formatSeconds(stats.oldestPendingAgeSeconds)}`,
    `Notifications: ${counts(stats.notifications)}`,
    `Time to finish (${formatCount(finish.count)} recent jobs): median ${formatSeconds(finish.p50Seconds)}, ` +
      `95th percentile ${formatSeconds(finish.p95Seconds)}, longest ${formatSeconds(finish.maxSeconds)}`,
    ...finish.histogram.map(
      (bucket, i) =>
        `  ${bucketLabel(bucket.upToSeconds, finish.histogram[i - 1]?.upToSeconds ?? null).padEnd(10)} ${formatCount(bucket.count)}`,
    ),
  ];
  if (stats.sweeps.length === 0) return [...lines, 'Sweeps: none recorded yet'];
  const rows = [
    [
      'STARTED',
      'TOOK',
      'CLAIMED',
      'OK',
      'FAILED',
      'GAVE UP',
      'RESCHEDULED',
      'NOTIFIED',
      'THROTTLED',
      'ERRORS',
    ],
    ...stats.sweeps.map((sweep) => [
      sweep.startedAt.replace(/\.\d{3}Z$/, 'Z'),
      formatMs(sweep.durationMs),
      String(sweep.claimed),
      String(sweep.succeeded),
      String(sweep.failed),
      String(sweep.gaveUp),
      String(sweep.rescheduled),
      sweep.notifyFailed ? `${sweep.notified} (${sweep.notifyFailed} failed)` : String(sweep.notified),
      String(sweep.throttled),
      Object.entries(sweep.errors)
        .map(([code, count]) => `${code} ${count}`)
        .join(', '),
    ]),
  ];
  return [...lines, `Sweeps, newest first (${stats.sweeps.length}):`, ...table(rows)];
}
