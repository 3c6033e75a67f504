/**
 * `npm run bench:sweep`: the sweeper under load, in one run.
 * 1. One sweeper (an FC instance, in its own process), 10,000 due jobs per sweep, aicontent (the emulator,
 *    in its own process) answering in 100 ms, concurrency 64. The instance sweeps twice, as it serves
 *    tick after tick: the first sweep of a new instance pays V8's warm-up (compiling the hot code), the
 *    next one is what every later tick costs. For each: wall time against the bound jobs × latency ÷
 *    concurrency and CPU ms per job; then the instance's peak RSS. Goals: ≥ 90 % of the bound; ≤ 0.1 ms
 *    CPU per job; RSS ≤ 128 MB.
 * 2. 1, 2 and 4 new sweepers (separate processes, as FC instances are) sharing one Redis over the same
 *    10,000 jobs: throughput, scaling, and how many jobs were processed twice. Goals: ≥ 0.8·N; 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { usageIfAsked } from '#local/cli/cliSupport.ts';
import { createRedisStore } from '#shared/stores/redisStore.ts';
import { startRedis, uniquePrefix } from '#test/helpers/redisServer.ts';
import { bundle } from '../scripts/build.ts';

usageIfAsked(`usage: npm run bench:sweep

The sweeper under load: one instance sweeping 10,000 jobs twice, then 1, 2 and 4 sweepers sharing one
Redis (bench/README.md).
  JOBS           jobs per sweep (default 10000)
  REDIS_URL      a Redis to use (default: one started for the bench)
  SWEEPER_FLAGS  extra Node flags for the sweepers, e.g. --cpu-prof`);

const JOBS = Number(process.env.JOBS ?? 10_000);
const LATENCY_MS = 100;
const CONCURRENCY = 64;
/** Extra Node flags for the sweepers, e.g. `SWEEPER_FLAGS='--cpu-prof'` to profile them. */
const SWEEPER_FLAGS = (process.env.SWEEPER_FLAGS ?? '').split(' ').filter(Boolean);

/** Runs a script in a new Node process: TypeScript through tsx, or a built bundle as is. */
function node(script: string, env: Record<string, string>, flags: string[] = []): ChildProcess {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  return spawn(process.execPath, [...flags, ...loader, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before answering`)));
  });
}

interface SweepFigures {
  summary: { claimed: number; succeeded: number };
  wallMs: number;
  cpuMs: number;
  userCpuMs: number;
}

interface SweeperResult {
  sweeps: SweepFigures[];
  notified: string[];
  maxRssMb: number;
}

// The sweeper runs as deployed: bundled, no TypeScript loader in its CPU time or memory.
const bundleDir = mkdtempSync(join(tmpdir(), 'bench-sweeper-'));
await bundle({ entry: 'bench/support/sweeperProcess.ts', outdir: bundleDir });
const sweeperBundle = join(bundleDir, 'index.mjs');
const redis = await startRedis();
const emulatorProcess = node('bench/support/emulatorProcess.ts', {
  JOBS: String(2 * JOBS),
  LATENCY_MS: String(LATENCY_MS),
});
try {
  const emulator = JSON.parse(await firstLine(emulatorProcess));

  /** Tracks `jobs` due jobs, then runs `sweepers` processes of `sweeps` sweeps of at most JOBS jobs each. */
  async function run(sweepers: number, sweeps: number, jobs: number) {
    const prefix = uniquePrefix('bench');
    const store = createRedisStore({ url: redis.url, prefix });
    for (let i = 1; i <= jobs; i++) await store.track({ id: String(i), now: 0 });
    await store.close();
    const env = {
      REDIS_URL: redis.url,
      PREFIX: prefix,
      AICONTENT_ENDPOINT: emulator.url,
      ACCESS_KEY_ID: emulator.accessKeyId,
      ACCESS_KEY_SECRET: emulator.accessKeySecret,
      SWEEP_CONCURRENCY: String(CONCURRENCY),
      SWEEPS: String(sweeps),
      BATCH: String(JOBS),
    };
    const started = performance.now();
    const results: SweeperResult[] = await Promise.all(
      Array.from({ length: sweepers }, async (_, i) =>
        JSON.parse(await firstLine(node(sweeperBundle, { ...env, OWNER: `sweeper-${i}` }, SWEEPER_FLAGS))),
      ),
    );
    const wallMs = performance.now() - started;
    const counts = new Map<string, number>();
    for (const id of results.flatMap((result) => result.notified)) counts.set(id, (counts.get(id) ?? 0) + 1);
    const twice = [...counts.values()].filter((count) => count > 1).length;
    const missing = jobs - counts.size;
    return { wallMs, results, twice, missing, throughput: (jobs / wallMs) * 1000 };
  }

  const bound = (JOBS * LATENCY_MS) / CONCURRENCY;
  const instance = await run(1, 2, 2 * JOBS);
  const [first, next] = instance.results[0]?.sweeps ?? [];
  console.log(
    `# one sweeper, ${JOBS} due jobs per sweep, emulator latency ${LATENCY_MS} ms, concurrency ${CONCURRENCY}, Redis store`,
  );
  for (const [name, figures, cpuNote] of [
    ['sweep', next, 'goal ≤ 0.1 ms'],
    ['sweep.first', first, 'a new instance: V8 warm-up included'],
  ] as const) {
    const { wallMs = 0, cpuMs = 0, userCpuMs = 0 } = figures ?? {};
    console.log(`${name}.wall: ${(wallMs / 1000).toFixed(2)} s (bound ${(bound / 1000).toFixed(2)} s)`);
    console.log(`${name}.efficiency: ${((bound / wallMs) * 100).toFixed(1)} % of the bound (goal ≥ 90 %)`);
    console.log(`${name}.cpu_per_job: ${(cpuMs / JOBS).toFixed(3)} ms (${cpuNote})`);
    // On loopback the kernel's TCP work for both ends of a connection is billed to the sender as system
    // time; user time is what the sweeper's own code costs.
    console.log(`${name}.user_cpu_per_job: ${(userCpuMs / JOBS).toFixed(3)} ms`);
  }
  console.log(`sweep.peak_rss: ${(instance.results[0]?.maxRssMb ?? 0).toFixed(1)} MB (goal ≤ 128 MB)`);
  console.log(`sweep.processed: ${2 * JOBS - instance.missing} of ${2 * JOBS}, twice: ${instance.twice}`);

  console.log(`# 1, 2, 4 new sweepers (processes) on one Redis, ${JOBS} jobs`);
  let base = 0;
  for (const n of [1, 2, 4]) {
    const result = await run(n, 1, JOBS);
    base ||= result.throughput;
    const scaling = result.throughput / base;
    console.log(
      `sweepers.${n}.throughput: ${result.throughput.toFixed(0)} jobs/s, scaling ${scaling.toFixed(2)} (goal ≥ ${(0.8 * n).toFixed(1)}), ` +
        `double-processed ${result.twice}, missing ${result.missing}`,
    );
  }
} finally {
  emulatorProcess.kill('SIGTERM');
  await redis.stop();
  rmSync(bundleDir, { recursive: true, force: true });
}
