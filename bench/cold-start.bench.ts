/**
 * `npm run bench:cold-start`: the init time (module load until `handler` is ready) of the bundled query
 * function, side by side with the same handler importing `@alicloud/openapi-client`, and each bundle's
 * size. Each init is measured in a fresh Node process, alternating the two, and the median is printed.
 * Goals: ours ≤ 0.2 × the SDK variant's init time (a ratio: the times themselves move with the machine
 * and its load); ours ≤ 60 KB minified loaded at start (a size).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BundleSizes, bundle, bundleSizes } from '../scripts/build.ts';

const RUNS = Number(process.env.RUNS ?? 21);
/** Ours over the SDK variant's init time, the two measured in turn: a ratio, which travels. */
const RATIO_GOAL = 0.2;
/** Code loaded at start: a size, the same on every machine. */
const SIZE_GOAL_KB = 60;

const MEASURE = `const t0 = performance.now();
const m = await import(process.argv[1]);
if (typeof m.handler !== 'function') throw new Error('no handler');
process.stdout.write(String(performance.now() - t0));`;

function initMs(file: string): number {
  const out = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', MEASURE, pathToFileURL(file).href],
    {
      env: { ...process.env, AICONTENT_ENDPOINT: 'http://127.0.0.1:9' },
    },
  );
  return Number(out.toString());
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const dir = mkdtempSync(join(tmpdir(), 'cold-start-'));
try {
  const variants = {
    ours: { entry: 'functions/query/handler.ts', outdir: join(dir, 'ours') },
    sdk: { entry: 'bench/fixtures/query-with-sdk.ts', outdir: join(dir, 'sdk') },
  };
  const sizes: Record<string, BundleSizes> = {};
  for (const [name, variant] of Object.entries(variants))
    sizes[name] = bundleSizes(await bundle(variant), variant.outdir);

  const times: Record<keyof typeof variants, number[]> = { ours: [], sdk: [] };
  for (let i = 0; i < RUNS; i++) {
    times.ours.push(initMs(join(variants.ours.outdir, 'index.mjs')));
    times.sdk.push(initMs(join(variants.sdk.outdir, 'index.mjs')));
  }
  const ours = median(times.ours);
  const sdk = median(times.sdk);
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  console.log(
    `cold-start.ratio: ${(ours / sdk).toFixed(3)} x the SDK variant's init ` +
      `(goal ≤ ${RATIO_GOAL.toFixed(3)} x: ${verdict(ours / sdk <= RATIO_GOAL)})`,
  );
  console.log(`cold-start.ours.init: ${ours.toFixed(1)} ms (median of ${RUNS}, on this machine)`);
  console.log(`cold-start.sdk.init: ${sdk.toFixed(1)} ms (median of ${RUNS}, on this machine)`);
  for (const [name, size] of Object.entries(sizes)) {
    console.log(`bundle.${name}.size: ${(size.eager / 1024).toFixed(1)} KB loaded at start`);
    console.log(`bundle.${name}.total: ${(size.total / 1024).toFixed(1)} KB with on-demand chunks`);
  }
  const oursKb = (sizes.ours?.eager ?? 0) / 1024;
  console.log(`bundle.goal: ours ≤ ${SIZE_GOAL_KB} KB loaded at start: ${verdict(oursKb <= SIZE_GOAL_KB)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
