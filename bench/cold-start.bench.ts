/**
 * `npm run bench:cold-start`: the init time (module load until `handler` is ready) of the bundled query
 * function, side by side with the same handler importing `@alicloud/openapi-client`, and each bundle's
 * size. Each init is measured in a fresh Node process, alternating the two, and the median is printed.
 * Goals: ours ≤ 1/5 of the SDK variant's init time; ours ≤ 60 KB minified.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundle } from '../scripts/build.ts';

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
    ours: { entry: 'functions/query/handler.ts', outfile: join(dir, 'ours/index.mjs') },
    sdk: { entry: 'bench/fixtures/query-with-sdk.ts', outfile: join(dir, 'sdk/index.mjs') },
  };
  for (const variant of Object.values(variants)) await bundle(variant);

  const times: Record<keyof typeof variants, number[]> = { ours: [], sdk: [] };
  for (let i = 0; i < RUNS; i++) {
    times.ours.push(initMs(variants.ours.outfile));
    times.sdk.push(initMs(variants.sdk.outfile));
  }
  const ours = median(times.ours);
  const sdk = median(times.sdk);
  console.log(`cold-start.ours.init: ${ours.toFixed(1)} ms (median of ${RUNS})`);
  console.log(`cold-start.sdk.init: ${sdk.toFixed(1)} ms (median of ${RUNS})`);
  console.log(`cold-start.ratio: ${(ours / sdk).toFixed(3)} (goal ≤ 0.200)`);
  for (const [name, variant] of Object.entries(variants)) {
    console.log(`bundle.${name}.size: ${(statSync(variant.outfile).size / 1024).toFixed(1)} KB`);
  }
  console.log('bundle.goal: ours ≤ 60 KB');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
