/**
 * One sweeper, as one FC instance would run it, in its own process for the sweep benchmark: each
 * `sweep` command (see sweepingProcess.ts) runs one sweep over the Redis store against the emulator,
 * claiming at most BATCH jobs, as an instance serves tick after tick. Each sweep answers its summary and
 * `jobs`, the jobs it finished; the end answers the job ids it notified (to count double processing).
 */
import { createAicontentClient } from '#shared/aicontent/client.ts';
import { readSweepPolicy } from '#shared/config.ts';
import { type Notifier, sweep } from '#shared/jobs/sweep.ts';
import { createLogger } from '#shared/log.ts';
import { createRedisStore } from '#shared/stores/redis/store.ts';
import { benchSettings, serveSweeps } from './sweepingProcess.ts';

const settings = benchSettings();
const store = createRedisStore({ url: settings.redisUrl, prefix: settings.prefix });
const client = createAicontentClient({
  endpoint: settings.endpoint,
  credentials: () => settings.credentials,
});
const notified: string[] = [];
const notifier: Notifier = {
  targetFor: () => ({ type: 'function', name: 'bench' }),
  notify: async (job) => {
    notified.push(job.id);
  },
};
const policy = { ...readSweepPolicy(process.env), batchSize: settings.batch, leaseMs: 600_000 };
const deps = { store, query: client.queryJob, notifier, log: createLogger({ level: 'warn' }) };
const owner = process.env.OWNER ?? 'bench';

serveSweeps(
  async (n) => {
    const summary = await sweep({ ...deps, owner: `${owner}-${n}` }, policy, {
      deadline: Date.now() + 300_000,
    });
    return { summary, jobs: summary.succeeded + summary.failed + summary.gaveUp };
  },
  async () => {
    await store.close();
    return { notified };
  },
);
