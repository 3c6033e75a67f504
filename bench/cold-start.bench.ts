/**
 * `npm run bench:cold-start`: the init time (module load until `handler` is ready) of the bundled query
 * function, side by side with the same handler importing `@alicloud/openapi-client`, and each bundle's
 * size. Each init is measured in a fresh Node process, alternating the two, and the median is printed.
 * Goals: ours ≤ 1/5 of the SDK variant's init time; ours ≤ 60 KB minified.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BundleSizes, bundle, bundleSizes } from '../scripts/build.ts';

const RUNS = Number(process.env.RUNS ?? 21);

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
  console.log(`cold-start.ours.init: ${ours.toFixed(1)} ms (median of ${RUNS})`);
  console.log(`cold-start.sdk.init: ${sdk.toFixed(1)} ms (median of ${RUNS})`);
  console.log(`cold-start.ratio: ${(ours / sdk).toFixed(3)} (goal ≤ 0.200)`);
  for (const [name, size] of Object.entries(sizes)) {
    console.log(`bundle.${name}.size: ${(size.eager / 1024).toFixed(1)} KB loaded at start`);
    console.log(`bundle.${name}.total: ${(size.total / 1024).toFixed(1)} KB with on-demand chunks`);
  }
  console.log('bundle.goal: ours ≤ 60 KB (loaded at start)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
