/**
 * One sweeper, as one FC instance would run it, in its own process for the sweep benchmark: a single
 * sweep over the Redis store against the emulator. Prints one JSON line: the summary, the job ids it
 * notified (to count double processing), its CPU time and peak RSS.
 */
import { resourceUsage } from 'node:process';
import { createAicontentClient } from '#shared/aicontent/client.ts';
import { readSweepPolicy } from '#shared/config.ts';
import { type Notifier, sweep } from '#shared/jobs/sweep.ts';
import { createLogger } from '#shared/log.ts';
import { createRedisStore } from '#shared/stores/redisStore.ts';

const env = process.env;
const store = createRedisStore({ url: env.REDIS_URL ?? '', prefix: env.PREFIX });
const client = createAicontentClient({
  endpoint: env.AICONTENT_ENDPOINT,
  credentials: () => ({ accessKeyId: env.ACCESS_KEY_ID ?? '', accessKeySecret: env.ACCESS_KEY_SECRET ?? '' }),
});
const notified: string[] = [];
const notifier: Notifier = {
  targetFor: () => ({ type: 'function', name: 'bench' }),
  notify: async (job) => {
    notified.push(job.id);
  },
};
const policy = { ...readSweepPolicy(env), batchSize: 100_000, leaseMs: 600_000 };
const cpuBefore = process.cpuUsage();
const summary = await sweep(
  {
    store,
    query: client.queryJob,
    notifier,
    log: createLogger({ level: 'warn' }),
    owner: env.OWNER ?? 'bench',
  },
  policy,
  { deadline: Date.now() + 300_000 },
);
const cpu = process.cpuUsage(cpuBefore);
await store.close();
process.stdout.write(
  `${JSON.stringify({ summary, notified, cpuMs: (cpu.user + cpu.system) / 1000, userCpuMs: cpu.user / 1000, maxRssMb: resourceUsage().maxRSS / 1024 })}\n`,
);
