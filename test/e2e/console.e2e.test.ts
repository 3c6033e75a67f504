/**
 * The operator console in a real browser (Debian's Chromium, driven by playwright-core), against the
 * real API: `npm start`'s stack (`startLocalStack({ consolePort: 0 })`) with emulator jobs tracked and
 * swept (test/helpers/sweptStack.ts). It loads, the numbers it shows are those of the `GET /stats` it
 * got, and agree with the API's; a job opens, is untracked and is gone, paging follows the cursor, a
 * notification is re-sent; any console error, page error or failed request fails the test, and the
 * page may request nothing but its own origin.
 *
 * The error-display tests keep a fake API (test/helpers/fakeOperatorApi.ts): they need answers the real
 * API gives only by accident. So does the README's screenshot, docs/console.png: the fake's data and a
 * fixed page clock keep it the same, byte for byte, from run to run.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCount, formatSeconds } from '#local/console/page/format.ts';
import { type ConsoleServer, startConsole } from '#local/console/server.ts';
import type { JobPage, JobState, Stats } from '#shared/query/operatorApi.ts';
import { launchChromium, type WatchedPage, watchedPage } from '#test/helpers/chromium.ts';
import { type FakeOperatorApi, startFakeOperatorApi } from '#test/helpers/fakeOperatorApi.ts';
import { type SweptStack, startSweptStack } from '#test/helpers/sweptStack.ts';
import { root } from '#test/helpers/tsxProcess.ts';

/** The fake's data and the page's clock for the screenshot: a fixed time keeps it the same from run to run. */
const NOW = Date.parse('2026-12-02T03:00:00.000Z');
const SCREENSHOT = `${root}docs/console.png`;

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** A page of the console at `url`, with the `GET /stats` answers it got, latest last. */
async function openConsole(url: string, clock?: number): Promise<WatchedPage & { statsSeen: Stats[] }> {
  const watched = await watchedPage(browser, {
    viewport: { width: 1280, height: 800 },
    timezoneId: 'UTC',
    locale: 'en-US',
  });
  const statsSeen: Stats[] = [];
  watched.page.on('response', (response) => {
    if (response.url().endsWith('/api/stats') && response.ok()) {
      response.json().then(
        (stats: Stats) => statsSeen.push(stats),
        () => {},
      );
    }
  });
  if (clock !== undefined) await watched.page.clock.setFixedTime(clock);
  await watched.page.goto(url);
  await watched.page.waitForSelector('body[data-ready="true"]');
  return { ...watched, statsSeen };
}

const COUNTS = [
  'jobs.pending',
  'jobs.succeeded',
  'jobs.failed',
  'jobs.gave_up',
  'notifications.none',
  'notifications.pending',
  'notifications.sent',
  'notifications.failed',
  'dueNow',
];
const DURATIONS = [
  'oldestPendingAgeSeconds',
  'timeToFinish.p50Seconds',
  'timeToFinish.p95Seconds',
  'timeToFinish.maxSeconds',
];

const at = (stats: Stats, path: string) =>
  path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], stats);

/** The status numbers on the page are those of `/stats`, every one of them. */
async function expectNumbersOf(page: Page, stats: Stats): Promise<void> {
  const shown = await page.$$eval('dd[data-stat]', (elements) =>
    elements.map((element) => [element.getAttribute('data-stat'), element.textContent]),
  );
  expect(shown.map(([path]) => path).sort()).toEqual([...COUNTS, ...DURATIONS].sort());
  for (const [path, text] of shown) {
    const value = at(stats, path as string);
    const expected = COUNTS.includes(path as string)
      ? formatCount(value as number)
      : formatSeconds(value as number | null);
    expect({ path, text }).toEqual({ path, text: expected });
  }
  for (const state of ['pending', 'succeeded', 'failed', 'gave_up'] as JobState[]) {
    await expect.poll(() => page.textContent(`#tab-${state} .count`)).toBe(formatCount(stats.jobs[state]));
  }
}

const rowIds = (page: Page) =>
  page.$$eval('#jobs-table tbody tr', (rows) => rows.map((row) => row.getAttribute('data-job-id')));

async function confirmDialog(page: Page, button: string): Promise<void> {
  await page.click(button);
  await page.waitForSelector('dialog#confirm[open]');
  await page.click('#confirm-ok');
  await page.waitForSelector('dialog#confirm:not([open])', { state: 'attached' });
}

describe('the console against npm start, in Chromium', () => {
  let swept: SweptStack;
  let consoleUrl: string;
  beforeAll(async () => {
    swept = await startSweptStack({ succeeded: 30, failed: 2, gaveUp: 2, throttled: 3 }, { consolePort: 0 });
    consoleUrl = swept.stack.operatorConsole?.url ?? '';
  }, 60_000);
  afterAll(() => swept?.close());

  const api = <T>(path: string) => swept.call<T>('GET', path);
  /** The counts (not the ages, which move with the clock) of two stats agree. */
  const counts = (stats: Stats) => ({
    jobs: stats.jobs,
    notifications: stats.notifications,
    timeToFinish: stats.timeToFinish,
    sweeps: stats.sweeps,
  });

  it('shows the numbers of /stats, opens a job, untracks it, pages, re-sends, with no error', async () => {
    const { page, problems, requested, statsSeen } = await openConsole(consoleUrl);
    const shown = statsSeen.at(-1) as Stats;
    await expectNumbersOf(page, shown);
    const stats = await api<Stats>('/stats');
    expect(counts(shown)).toEqual(counts(stats));
    expect(stats.jobs).toEqual({ pending: 3, succeeded: 30, failed: 2, gave_up: 2 });
    expect(stats.sweeps).toHaveLength(2);
    const histogram = await page.$$eval('#histogram-table tbody td.num', (cells) =>
      cells.map((c) => c.textContent),
    );
    expect(histogram).toEqual(stats.timeToFinish.histogram.map((bucket) => formatCount(bucket.count)));
    expect(await page.locator('#histogram canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#sweeps canvas').count()).toBeGreaterThan(0);
    const shownCodes = await page.$$eval('#failures-table tbody tr', (rows) =>
      rows.map((row) => row.getAttribute('data-code')),
    );
    expect(shownCodes).toEqual(['UpstreamThrottled']);

    // A pending job whose last poll failed: its detail says why.
    const pendingPage = await api<JobPage>('/jobs?state=pending&limit=25');
    expect(await rowIds(page)).toEqual(pendingPage.jobs.map((job) => job.id));
    const job = pendingPage.jobs.find((candidate) => candidate.lastError !== null);
    if (!job?.lastError) throw new Error('no pending job with a failed poll');
    await page.click(`tr[data-job-id="${job.id}"] .job-link`);
    await page.waitForSelector('#detail [data-field="progress"]');
    expect(await page.textContent('#detail-heading code')).toBe(job.id);
    expect(await page.textContent('#detail [data-field="attempts"]')).toBe(String(job.attempts));
    expect(await page.textContent('#detail [data-field="lastError"]')).toBe(
      `Last poll failed: ${job.lastError.code}${job.lastError.message}`,
    );
    expect(await page.getAttribute(`tr[data-job-id="${job.id}"]`, 'aria-selected')).toBe('true');

    await confirmDialog(page, '#untrack');
    await page.waitForSelector(`.alert.ok >> text=Job ${job.id} is no longer tracked.`);
    await expect.poll(() => rowIds(page)).not.toContain(job.id);
    const after = await api<Stats>('/stats');
    expect(after.jobs.pending).toBe(stats.jobs.pending - 1);
    expect((await api<JobPage>('/jobs?state=pending&limit=500')).jobs.map((j) => j.id)).not.toContain(job.id);
    await expect
      .poll(() => page.textContent('dd[data-stat="jobs.pending"]'))
      .toBe(formatCount(after.jobs.pending));
    await expectNumbersOf(page, statsSeen.at(-1) as Stats);
    expect(counts(statsSeen.at(-1) as Stats)).toEqual(counts(after));
    expect(await page.textContent('#detail-heading')).toBe('Job detail');

    // The second page of succeeded jobs is the API's second page.
    await page.click('#tab-succeeded');
    const first = await api<JobPage>('/jobs?state=succeeded&limit=25');
    await expect.poll(() => rowIds(page)).toEqual(first.jobs.map((j) => j.id));
    await page.click('#next-page');
    const second = await api<JobPage>(`/jobs?state=succeeded&limit=25&cursor=${first.cursor}`);
    expect(second.jobs).toHaveLength(5);
    await expect.poll(() => rowIds(page)).toEqual(second.jobs.map((j) => j.id));
    expect(await page.textContent('#page-number')).toBe('page 2, 5 jobs');
    await page.click('#prev-page');
    await expect.poll(() => rowIds(page)).toEqual(first.jobs.map((j) => j.id));

    // Re-send the notification of an ended job: it goes back to pending.
    const ended = first.jobs.find((j) => j.notification === 'sent');
    if (!ended) throw new Error('no succeeded job with a sent notification');
    await page.click(`tr[data-job-id="${ended.id}"] .job-link`);
    await page.waitForSelector('#detail [data-field="progress"]');
    await confirmDialog(page, '#resend');
    await page.waitForSelector(
      `.alert.ok >> text=The notification of job ${ended.id} goes out on the next sweep.`,
    );
    expect(await page.textContent('#detail [data-field="notification"]')).toBe('pending');
    const resent = (await api<JobPage>('/jobs?state=succeeded&limit=500')).jobs.find(
      (j) => j.id === ended.id,
    );
    expect(resent?.notification).toBe('pending');

    expect(problems).toEqual([]);
    const origin = new URL(consoleUrl).origin;
    expect(requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'))).toEqual([]);
    await page.context().close();
  });

  it('fetches the numbers again after an untrack, even while a refresh asked before it is under way', async () => {
    const { page, problems } = await openConsole(consoleUrl);
    const [id] = await rowIds(page);
    const before = await api<Stats>('/stats');
    // The next /stats answer reaches the page late: the untrack happens while it is on its way.
    let delayed = false;
    await page.route('**/api/stats', async (route) => {
      if (!delayed) {
        delayed = true;
        const answer = await route.fetch();
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await route.fulfill({ response: answer });
      } else {
        await route.continue();
      }
    });
    await page.click('#refresh');
    await page.click(`tr[data-job-id="${id}"] .job-link`);
    await confirmDialog(page, '#untrack');
    await page.waitForSelector(`.alert.ok >> text=Job ${id} is no longer tracked.`);
    const after = formatCount(before.jobs.pending - 1);
    await expect.poll(() => page.textContent('dd[data-stat="jobs.pending"]'), { timeout: 5_000 }).toBe(after);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the console against a fake API, in Chromium', () => {
  let fake: FakeOperatorApi;
  let server: ConsoleServer;
  beforeAll(async () => {
    fake = await startFakeOperatorApi({ now: NOW });
    server = await startConsole({ target: fake.url, port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it('takes the README’s picture: the numbers, the charts, a job open, as under npm start', async () => {
    const { page, problems } = await openConsole(server.url, NOW);
    await expectNumbersOf(page, fake.stats());
    const job = [...fake.jobs.values()].find(
      (candidate) => candidate.state === 'pending' && candidate.lastError,
    );
    if (!job) throw new Error('the fake has no pending job with a failed poll');
    await page.click(`tr[data-job-id="${job.id}"] .job-link`);
    await page.waitForSelector('#detail [data-field="progress"]');
    // npm start's trigger is at port 9000.
    await page.$eval('#target', (element) => {
      element.textContent = 'http://127.0.0.1:9000/';
    });
    mkdirSync(`${root}docs`, { recursive: true });
    // Two frames after the last change, so that the picture is of the page at rest (same bytes every run).
    await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
    await page.screenshot({ path: SCREENSHOT });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows errors with the request, status, code, message and request id, clearing them once the call works', async () => {
    const { page, problems } = await openConsole(server.url, NOW);
    fake.failNext('GET /stats', 503, 'UpstreamUnavailable', 'aicontent unavailable (ServiceUnavailable)');
    await page.click('#refresh');
    const alert = page.locator('.alert[data-error-code="UpstreamUnavailable"]');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(
      /^GET \/stats503 UpstreamUnavailable: aicontent unavailable \(ServiceUnavailable\)request fake-\d+×$/,
    );
    await page.click('#refresh');
    await alert.waitFor({ state: 'detached' });

    // An untrack the API refuses: said, and the job stays.
    const [id] = await rowIds(page);
    fake.failNext(`DELETE /jobs/${id}`, 404, 'NotTracked', `job ${id} is not tracked`);
    await page.click(`tr[data-job-id="${id}"] .job-link`);
    await confirmDialog(page, '#untrack');
    expect(await page.locator('.alert[data-error-code="NotTracked"]').textContent()).toContain(
      `DELETE /jobs/${id}404 NotTracked: job ${id} is not tracked`,
    );
    expect(await rowIds(page)).toContain(id);

    // Re-send is for ended jobs: the button says so before the API has to.
    expect(await page.isDisabled('#resend')).toBe(true);

    // The browser reports each refused call itself: those two, and nothing else.
    expect(problems).toEqual([
      expect.stringMatching(/^HTTP 503: GET .*\/api\/stats$/),
      expect.stringMatching(/status of 503/),
      expect.stringMatching(new RegExp(`^HTTP 404: DELETE .*/api/jobs/${id}$`)),
      expect.stringMatching(/status of 404/),
    ]);
    await page.context().close();
  });
});
