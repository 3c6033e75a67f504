/**
 * One sweeper, as one FC instance would run it, in its own process for the sweep benchmark: SWEEPS
 * sweeps in a row (default 1) over the Redis store against the emulator, each claiming at most BATCH
 * jobs, as an instance serves tick after tick. Prints one JSON line: per sweep its summary, wall time and
 * CPU time; the job ids it notified (to count double processing); its peak RSS.
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
const policy = { ...readSweepPolicy(env), batchSize: Number(env.BATCH ?? 100_000), leaseMs: 600_000 };
const deps = { store, query: client.queryJob, notifier, log: createLogger({ level: 'warn' }) };
const sweeps = [];
for (let i = 0; i < Number(env.SWEEPS ?? 1); i++) {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const owner = `${env.OWNER ?? 'bench'}-${i}`;
  const summary = await sweep({ ...deps, owner }, policy, { deadline: Date.now() + 300_000 });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  sweeps.push({ summary, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, userCpuMs: cpu.user / 1000 });
}
await store.close();
process.stdout.write(`${JSON.stringify({ sweeps, notified, maxRssMb: resourceUsage().maxRSS / 1024 })}\n`);
