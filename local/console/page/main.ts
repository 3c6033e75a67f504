/**
 * The operator console's page: the status numbers and charts from `GET /stats`, the tracked jobs of each
 * state a page at a time, one job's detail, untrack and re-send. Bundled with its CSS and uPlot into one
 * HTML page by the console server (../page.ts); it calls the API only through the server's `/api/`.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { clearAlert, showError } from './alerts.ts';
import { api } from './api.ts';
import { DetailView } from './detail.ts';
import { byId } from './dom.ts';
import { JobsView } from './jobs.ts';
import { StatusView } from './status.ts';

const REFRESH_MS = 10_000;

const status = new StatusView();
const jobs = new JobsView((id, row) => void detail.open(id, row));
const detail = new DetailView(refresh, (id) => jobs.select(id));

async function refreshStats(): Promise<void> {
  try {
    status.render(await api.stats());
    clearAlert('stats');
  } catch (error) {
    showError('stats', error);
  }
}

let running: Promise<void> | undefined;
let queued: Promise<void> | undefined;

/**
 * The numbers, the charts and the page of jobs shown, fetched again, one refresh at a time. Asked
 * during one (after an untrack, say), it runs another once that one is done: the one running may have
 * asked before the change.
 */
function refresh(): Promise<void> {
  if (running) {
    queued ??= running.then(() => {
      queued = undefined;
      return refresh();
    });
    return queued;
  }
  running = Promise.all([refreshStats(), jobs.reload()]).then(() => {
    running = undefined;
  });
  return running;
}

byId('target').textContent =
  document.querySelector<HTMLMetaElement>('meta[name="console-target"]')?.content ?? '';
byId('refresh').addEventListener('click', () => void refresh());
byId('lookup').addEventListener('submit', (event) => {
  event.preventDefault();
  const id = byId<HTMLInputElement>('lookup-id').value.trim();
  if (id) void detail.open(id);
});
setInterval(() => {
  if (!running && byId<HTMLInputElement>('auto-refresh').checked && document.visibilityState === 'visible')
    void refresh();
}, REFRESH_MS);

await Promise.all([refreshStats(), jobs.show('pending')]);
document.body.dataset.ready = 'true';
