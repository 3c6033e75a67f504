/**
 * What the sweep benchmark's sweeping processes (the sweeper, the floor) share: the settings the bench
 * passes them, and the protocol by which it drives them, one JSON line per answer on stdout:
 *
 * - at start: `{"ready":true}`;
 * - for each `sweep` line on stdin: the sweep's own figures, with its wall time and CPU time (user and
 *   system, ms) measured around it;
 * - for `end` (or when stdin closes): the process's final figures and its peak RSS (MB); it then exits.
 *
 * Being driven sweep by sweep lets the bench interleave the sweeper's sweeps with the floor's, so that
 * both are measured under the same load of a shared machine.
 */
import { resourceUsage } from 'node:process';
import { createInterface } from 'node:readline';
import type { Credentials } from '#shared/signing/acs3.ts';

export interface BenchSettings {
  redisUrl: string;
  /** Key prefix: each process's jobs have their own. */
  prefix: string;
  endpoint: string;
  credentials: Credentials;
  concurrency: number;
  /** Jobs per sweep, at most. */
  batch: number;
}

export function benchSettings(env = process.env): BenchSettings {
  return {
    redisUrl: env.REDIS_URL ?? '',
    prefix: env.PREFIX ?? '',
    endpoint: env.AICONTENT_ENDPOINT ?? '',
    credentials: { accessKeyId: env.ACCESS_KEY_ID ?? '', accessKeySecret: env.ACCESS_KEY_SECRET ?? '' },
    concurrency: Number(env.SWEEP_CONCURRENCY ?? 64),
    batch: Number(env.BATCH ?? 100_000),
  };
}

function answer(figures: object): void {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/** Answers the bench's commands: `sweep` runs `sweepOnce` (the n-th sweep from 0), `end` runs `finish`. */
export function serveSweeps(sweepOnce: (n: number) => Promise<object>, finish: () => Promise<object>): void {
  const commands = createInterface({ input: process.stdin });
  let sweeps = 0;
  let ended = false;
  const end = async () => {
    if (ended) return;
    ended = true;
    commands.close();
    answer({ ...(await finish()), maxRssMb: resourceUsage().maxRSS / 1024 });
  };
  // One command at a time: the bench waits for each answer before it sends the next.
  let queue = Promise.resolve();
  commands.on('line', (command) => {
    queue = queue.then(async () => {
      if (command === 'end') return end();
      if (command !== 'sweep') throw new Error(`unknown command ${JSON.stringify(command)}`);
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const figures = await sweepOnce(sweeps++);
      const wallMs = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      answer({ ...figures, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, userCpuMs: cpu.user / 1000 });
    });
  });
  commands.once('close', () => {
    queue = queue.then(end);
  });
  answer({ ready: true });
}
