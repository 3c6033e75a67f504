/**
 * The distribution's Chromium (`apt-get install -y chromium`; .ci/run installs it), driven by
 * playwright-core, which downloads no browser of its own. Started headless and quiet: no first-run,
 * sync, component updates or background networking, so it talks to nothing but the pages it is sent
 * to. Every page opened through `watchedPage` records console errors, page errors and failed requests,
 * for a test to require none.
 */
import { existsSync } from 'node:fs';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  // playwright gives every launch a fresh temporary profile (--user-data-dir) and removes it on close.
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Re-raster whole tiles: with partial raster, antialiased edges that cross a tile can differ by a
      // few pixels from run to run, and so would the screenshot the console test keeps.
      '--disable-partial-raster',
    ],
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors, uncaught page errors and failed or refused requests, as they happened. */
  problems: string[];
  /** Every URL the page requested. */
  requested: string[];
}

export async function watchedPage(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<WatchedPage> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems: string[] = [];
  const requested: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => requested.push(request.url()));
  page.on('requestfailed', (request) =>
    problems.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`),
  );
  page.on('response', (response) => {
    if (response.status() >= 400)
      problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  return { page, problems, requested };
}
