/**
 * `npm run bench:sweep`: the sweeper under load, against a floor measured in the same run.
 * 1. One sweeper (an FC instance, in its own process), 10,000 due jobs per sweep, aicontent (the emulator,
 *    in its own process) answering in 100 ms, concurrency 64; beside it the floor (floorProcess.ts): a
 *    bare loop that signs, sends, reads and stores the same jobs at the same concurrency, with no
 *    framework. Each sweeps WARM_SWEEPS + 1 times, as an instance serves tick after tick, the sweeper's
 *    sweeps and the floor's taking turns so that both meet the same load of a shared machine. The first
 *    sweep of a new process pays V8's warm-up (compiling the hot code), the next ones are what every
 *    later tick costs. For the first and the warm sweeps: wall time against the bound
 *    jobs × latency ÷ concurrency, and CPU ms per job, the sweeper's and the floor's, and their ratio;
 *    then peak RSS. Goals: ≥ 90 % of the bound; warm CPU per job ≤ 1.5 × the floor's; RSS ≤ 128 MB.
 * 2. 1, 2 and 4 new sweepers (separate processes, as FC instances are) sharing one Redis over the same
 *    10,000 jobs: throughput, scaling, and how many jobs were processed twice. Goals: ≥ 0.8·N; 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { usageIfAsked } from '#local/cli/cliSupport.ts';
import { createRedisStore } from '#shared/stores/redis/store.ts';
import { startRedis, uniquePrefix } from '#test/helpers/redisServer.ts';
import { bundle } from '../scripts/build.ts';

usageIfAsked(`usage: npm run bench:sweep

The sweeper under load against a bare floor loop measured in the same run: one instance and the floor
sweeping 10,000 jobs in turn, then 1, 2 and 4 sweepers sharing one Redis (bench/README.md).
  JOBS           jobs per sweep (default 10000)
  WARM_SWEEPS    sweeps after the first, by the sweeper and by the floor each (default 2)
  REDIS_URL      a Redis to use (default: one started for the bench)
  SWEEPER_FLAGS  extra Node flags for the sweepers and the floor, e.g. --cpu-prof`);

const JOBS = Number(process.env.JOBS ?? 10_000);
/** Sweeps after the first one, by the sweeper and by the floor each. */
const WARM_SWEEPS = Math.max(1, Number(process.env.WARM_SWEEPS ?? 2));
const LATENCY_MS = 100;
const CONCURRENCY = 64;
/** The goal for the warm sweeper's CPU per job, as a multiple of the floor's. */
const CPU_RATIO_GOAL = 1.5;
/** How a figure stands against its goal. */
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
/** Extra Node flags for the sweepers and the floor, e.g. `SWEEPER_FLAGS='--cpu-prof'` to profile them. */
const SWEEPER_FLAGS = (process.env.SWEEPER_FLAGS ?? '').split(' ').filter(Boolean);

/**
 * A Node process answering one JSON line at a time (sweepingProcess.ts): TypeScript through tsx, or a
 * built bundle as is. `ask` sends a command and waits for its answer; `next` waits for the next line.
 */
function driven(script: string, env: Record<string, string>, flags: string[] = []) {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child: ChildProcess = spawn(process.execPath, [...flags, ...loader, script], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(line);
    else lines.push(line);
  });
  child.once('exit', (code) => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`${script} exited (${code})`));
  });
  const next = async <T>(): Promise<T> => {
    const line =
      lines.shift() ?? (await new Promise<string>((resolve, reject) => waiting.push({ resolve, reject })));
    return JSON.parse(line) as T;
  };
  return {
    next,
    ask<T>(command: string): Promise<T> {
      child.stdin?.write(`${command}\n`);
      return next<T>();
    },
    kill: () => child.kill('SIGTERM'),
  };
}

type Driven = ReturnType<typeof driven>;

interface SweepFigures {
  jobs: number;
  wallMs: number;
  cpuMs: number;
  userCpuMs: number;
}

/** What several sweeps of one process add up to. */
function total(sweeps: SweepFigures[]): SweepFigures {
  const sum = (key: keyof SweepFigures) => sweeps.reduce((all, figures) => all + figures[key], 0);
  return { jobs: sum('jobs'), wallMs: sum('wallMs'), cpuMs: sum('cpuMs'), userCpuMs: sum('userCpuMs') };
}

// The sweeper and the floor run as deployed: bundled, no TypeScript loader in their CPU time or memory.
const bundleDir = mkdtempSync(join(tmpdir(), 'bench-sweeper-'));
const bundled = async (name: string) => {
  const outdir = join(bundleDir, name);
  await bundle({ entry: `bench/support/${name}Process.ts`, outdir });
  return join(outdir, 'index.mjs');
};
const sweeperBundle = await bundled('sweeper');
const floorBundle = await bundled('floor');
const redis = await startRedis();
const partOneJobs = (WARM_SWEEPS + 1) * JOBS;
const emulatorProcess = driven('bench/support/emulatorProcess.ts', {
  JOBS: String(partOneJobs),
  LATENCY_MS: String(LATENCY_MS),
});
try {
  const emulator = await emulatorProcess.next<{
    url: string;
    accessKeyId: string;
    accessKeySecret: string;
  }>();
  const settings = (prefix: string) => ({
    REDIS_URL: redis.url,
    PREFIX: prefix,
    AICONTENT_ENDPOINT: emulator.url,
    ACCESS_KEY_ID: emulator.accessKeyId,
    ACCESS_KEY_SECRET: emulator.accessKeySecret,
    SWEEP_CONCURRENCY: String(CONCURRENCY),
    BATCH: String(JOBS),
  });

  /** Tracks jobs "1".."jobs", due now, in a new prefix; returns the sweeper processes' settings. */
  async function trackedJobs(jobs: number) {
    const prefix = uniquePrefix('bench');
    const store = createRedisStore({ url: redis.url, prefix });
    for (let i = 1; i <= jobs; i++) await store.track({ id: String(i), now: 0 });
    await store.close();
    return settings(prefix);
  }

  /** The same jobs as the floor keeps them: ids in a due set. */
  async function floorJobs(jobs: number) {
    const prefix = uniquePrefix('bench-floor');
    const client = new Redis(redis.url);
    for (let from = 1; from <= jobs; from += 1000) {
      const members = Array.from({ length: Math.min(1000, jobs - from + 1) }, (_, i) => [
        0,
        String(from + i),
      ]);
      await client.zadd(`${prefix}due`, ...members.flat());
    }
    await client.quit();
    return settings(prefix);
  }

  /** Starts `count` sweeper processes and waits until each is ready. */
  async function sweepers(count: number, env: Record<string, string>) {
    const processes = Array.from({ length: count }, (_, i) =>
      driven(sweeperBundle, { ...env, OWNER: `sweeper-${i}` }, SWEEPER_FLAGS),
    );
    await Promise.all(processes.map((child) => child.next()));
    return processes;
  }

  /** How many of `jobs` ids were notified more than once, and how many never. */
  function processedTwiceOrNot(notified: string[], jobs: number) {
    const counts = new Map<string, number>();
    for (const id of notified) counts.set(id, (counts.get(id) ?? 0) + 1);
    return { twice: [...counts.values()].filter((count) => count > 1).length, missing: jobs - counts.size };
  }

  // Part 1: the sweeper and the floor, sweep by sweep in turn.
  const [sweeper] = (await sweepers(1, await trackedJobs(partOneJobs))) as [Driven];
  const floor = driven(floorBundle, await floorJobs(partOneJobs), SWEEPER_FLAGS);
  await floor.next();
  const sweeps: { sweeper: SweepFigures[]; floor: SweepFigures[] } = { sweeper: [], floor: [] };
  for (let i = 0; i <= WARM_SWEEPS; i++) {
    sweeps.sweeper.push(await sweeper.ask<SweepFigures>('sweep'));
    sweeps.floor.push(await floor.ask<SweepFigures>('sweep'));
  }
  const sweeperEnd = await sweeper.ask<{
    notified: string[];
    maxRssMb: number;
  }>('end');
  const floorEnd = await floor.ask<{ maxRssMb: number }>('end');

  const bound = (JOBS * LATENCY_MS) / CONCURRENCY;
  const percent = (share: number) => `${(share * 100).toFixed(1)} %`;
  console.log(
    `# one sweeper, ${JOBS} due jobs per sweep, emulator latency ${LATENCY_MS} ms, concurrency ${CONCURRENCY}, ` +
      `Redis store; the floor: the same jobs signed, sent, read and stored with no framework; ` +
      `in turn, 1 + ${WARM_SWEEPS} sweeps each`,
  );
  for (const [name, range, cpuGoal] of [
    ['sweep', [1, WARM_SWEEPS + 1], CPU_RATIO_GOAL],
    ['sweep.first', [0, 1], undefined],
  ] as const) {
    const ours = total(sweeps.sweeper.slice(...range));
    const bare = total(sweeps.floor.slice(...range));
    const efficiency = (bound * ours.jobs) / JOBS / ours.wallMs;
    console.log(
      `${name}.wall: ${percent(efficiency)} of the bound ${(bound / 1000).toFixed(2)} s ` +
        `(goal ≥ 90 %: ${verdict(efficiency >= 0.9)}); floor ${percent((bound * bare.jobs) / JOBS / bare.wallMs)}; ` +
        `${(ours.wallMs / 1000 / (range[1] - range[0])).toFixed(2)} s a sweep`,
    );
    const cpu = ours.cpuMs / ours.jobs;
    const floorCpu = bare.cpuMs / bare.jobs;
    const goal =
      cpuGoal === undefined
        ? 'a new process: V8 warm-up included'
        : `goal ≤ ${cpuGoal.toFixed(2)} x: ${verdict(cpu / floorCpu <= cpuGoal)}`;
    console.log(
      `${name}.cpu_ratio: ${(cpu / floorCpu).toFixed(2)} x the floor (${goal}); on this machine ` +
        `${cpu.toFixed(3)} ms of CPU per job, floor ${floorCpu.toFixed(3)} ms`,
    );
    // On loopback the kernel's TCP work for both ends of a connection is billed to the sender as system
    // time; user time is what the processes' own code costs.
    const user = ours.userCpuMs / ours.jobs;
    const floorUser = bare.userCpuMs / bare.jobs;
    console.log(
      `${name}.user_cpu_ratio: ${(user / floorUser).toFixed(2)} x the floor; ` +
        `${user.toFixed(3)} ms, floor ${floorUser.toFixed(3)} ms`,
    );
  }
  console.log(
    `sweep.peak_rss: ${sweeperEnd.maxRssMb.toFixed(1)} MB (goal ≤ 128 MB: ${verdict(sweeperEnd.maxRssMb <= 128)}); ` +
      `floor ${floorEnd.maxRssMb.toFixed(1)} MB`,
  );
  const instance = processedTwiceOrNot(sweeperEnd.notified, partOneJobs);
  console.log(
    `sweep.processed: ${partOneJobs - instance.missing} of ${partOneJobs}, twice: ${instance.twice}; ` +
      `the floor stored ${total(sweeps.floor).jobs}`,
  );

  // Part 2: 1, 2 and 4 new sweepers on one Redis, each started and ready before the sweep begins.
  console.log(`# 1, 2, 4 new sweepers (processes) on one Redis, ${JOBS} jobs`);
  let base = 0;
  for (const n of [1, 2, 4]) {
    const group = await sweepers(n, await trackedJobs(JOBS));
    const started = performance.now();
    await Promise.all(group.map((member) => member.ask('sweep')));
    const throughput = (JOBS / (performance.now() - started)) * 1000;
    const ends = await Promise.all(group.map((member) => member.ask<{ notified: string[] }>('end')));
    const { twice, missing } = processedTwiceOrNot(
      ends.flatMap((end) => end.notified),
      JOBS,
    );
    base ||= throughput;
    const scaling = throughput / base;
    console.log(
      `sweepers.${n}.scaling: ${scaling.toFixed(2)} (goal ≥ ${(0.8 * n).toFixed(1)}: ${verdict(scaling >= 0.8 * n)}), ` +
        `double-processed ${twice} (goal 0: ${verdict(twice === 0)}), missing ${missing}; ` +
        `${throughput.toFixed(0)} jobs/s`,
    );
  }
} finally {
  emulatorProcess.kill();
  await redis.stop();
  rmSync(bundleDir, { recursive: true, force: true });
}
