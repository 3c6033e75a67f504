/**
 * The floor of the sweep benchmark: what any sweeper must pay per job, with no framework around it.
 * Driven like the sweeper (sweepingProcess.ts), over the same jobs, at the same concurrency, against the
 * same emulator, each `sweep` command:
 *
 * 1. reads up to BATCH due job ids (one ZRANGEBYSCORE: no claim, no lease);
 * 2. for each, with SWEEP_CONCURRENCY workers: signs the query request exactly as our client does
 *    (`signedQuery`, our ACS3 signer), sends it on our keep-alive HTTP/1.1 transport, parses the JSON
 *    response and maps its status to a state;
 * 3. stores each job's new state: one string per job, and out of the due set once it ended, the jobs of
 *    each 5 ms window (the Redis store's commit window, commitWindow.ts) sent together as one MSET and
 *    one ZREM.
 *
 * No retries, backoff, leases, compare-and-set, notifications, logging or summary: what a sweeper must
 * do and nothing else. Why our transport and not `node:http`: the floor is the cheapest known way to
 * sign, send, read and store, so that sweeper ÷ floor is what the framework adds. On `node:http`
 * keep-alive the floor measured above the whole sweeper (README "Performance"): the ratio would flatter it.
 *
 * Keys: `PREFIX due` (a sorted set the bench fills, scored by due time) and `PREFIX job:<id>` (the state,
 * JSON). Each sweep answers `jobs`, how many it stored, and `errors`, the requests that failed.
 */
import { Redis } from 'ioredis';
import { randomNonce, resolveEndpoint, signedQuery } from '#shared/aicontent/client.ts';
import { isTerminal, stateOf } from '#shared/aicontent/job.ts';
import { nodeTransport } from '#shared/aicontent/transport.ts';
import { formatAcsDate } from '#shared/signing/acs3.ts';
import { COMMIT_WINDOW_MS } from '#shared/stores/redis/commitWindow.ts';
import { benchSettings, serveSweeps } from './sweepingProcess.ts';

const settings = benchSettings();
const origin = resolveEndpoint(settings.endpoint);
const redis = new Redis(settings.redisUrl, { lazyConnect: true });
const dueKey = `${settings.prefix}due`;

let states: string[] = [];
let ended: string[] = [];
let window: NodeJS.Timeout | undefined;
const writes = new Set<Promise<unknown>>();

function flush(): void {
  clearTimeout(window);
  window = undefined;
  if (states.length === 0) return;
  const pipeline = redis.pipeline().mset(states);
  if (ended.length > 0) pipeline.zrem(dueKey, ended);
  states = [];
  ended = [];
  const written = pipeline.exec().then((replies) => {
    const failed = replies?.find(([error]) => error);
    if (failed) throw failed[0];
  });
  writes.add(written);
  written.then(() => writes.delete(written));
}

function store(id: string, state: object, terminal: boolean): void {
  window ??= setTimeout(flush, COMMIT_WINDOW_MS);
  states.push(`${settings.prefix}job:${id}`, JSON.stringify(state));
  if (terminal) ended.push(id);
}

/** Polls one job and stores what it learned; false when aicontent did not say. */
async function poll(id: string): Promise<boolean> {
  const { path, headers } = signedQuery(origin, id, settings.credentials, {
    date: formatAcsDate(new Date()),
    nonce: randomNonce(),
  });
  const response = await nodeTransport({ origin, path, headers, timeoutMs: 10_000 });
  const data = JSON.parse(response.text)?.data;
  if (response.status !== 200 || typeof data?.jobStatus !== 'string') return false;
  const state = stateOf(data.jobStatus);
  store(
    id,
    { state, status: data.jobStatus, images: data.resultImageUrl ?? [], polledAt: Date.now() },
    isTerminal(state),
  );
  return true;
}

serveSweeps(
  async () => {
    const ids = await redis.zrangebyscore(dueKey, '-inf', Date.now(), 'LIMIT', 0, settings.batch);
    let next = 0;
    let jobs = 0;
    let errors = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        try {
          if (await poll(id)) jobs++;
          else errors++;
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: settings.concurrency }, worker));
    flush();
    await Promise.all(writes);
    return { jobs, errors };
  },
  async () => {
    await redis.quit();
    return {};
  },
);
