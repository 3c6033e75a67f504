/**
 * `npm run bench:cold-start`: the init time (module load until `handler` is ready) of the bundled query
 * function, side by side with the same handler importing `@alicloud/openapi-client`, and each bundle's
 * size. Each init is measured in a fresh Node process, alternating the variants, and the median is
 * printed. Goals: ours ≤ 0.2 × the SDK variant's init time (a ratio: the times themselves move with the
 * machine and its load); ours ≤ 60 KB minified loaded at start (a size).
 *
 * It also prices the ways to get stacks told in the TypeScript sources: Node mapping them
 * (`--enable-source-maps` in NODE_OPTIONS, or `process.setSourceMapsEnabled(true)` before the bundle
 * loads), which reads every bundle's map as the bundle loads (the init, and the Redis chunk loaded on the
 * first store use), against ours, which reads a map only when an error line logs a stack
 * (shared/sourceMappedStack.ts): nothing at init, and the time to map the first stack and a later one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { usageIfAsked } from '#local/cli/cliSupport.ts';
import { sourceMappedStack } from '#shared/sourceMappedStack.ts';
import { type BundleSizes, bundle, bundleSizes } from '../scripts/build.ts';

usageIfAsked(`usage: npm run bench:cold-start

The query function's init time, against the same handler with the official SDK, its size, and what
stacks told in the sources cost at cold start (bench/README.md).
  RUNS  fresh processes per variant (default 21)`);

const RUNS = Number(process.env.RUNS ?? 21);
/** Ours over the SDK variant's init time, the two measured in turn: a ratio, which travels. */
const RATIO_GOAL = 0.2;
/** Code loaded at start: a size, the same on every machine. */
const SIZE_GOAL_KB = 60;

/** argv: the bundle, then `set` to enable Node's source maps first, then a chunk to load next (or ''). */
const MEASURE = `if (process.argv[2] === 'set') process.setSourceMapsEnabled(true);
const t0 = performance.now();
const m = await import(process.argv[1]);
if (typeof m.handler !== 'function') throw new Error('no handler');
const t1 = performance.now();
if (process.argv[3]) await import(process.argv[3]);
process.stdout.write(JSON.stringify([t1 - t0, performance.now() - t1]));`;

type SourceMaps = 'ours' | 'flag' | 'set';

/** Init and Redis chunk load times (ms) of one fresh process. */
function initMs(file: string, maps: SourceMaps, chunk = ''): [number, number] {
  const out = execFileSync(
    process.execPath,
    [
      ...(maps === 'flag' ? ['--enable-source-maps'] : []),
      '--input-type=module',
      '-e',
      MEASURE,
      pathToFileURL(file).href,
      maps === 'set' ? 'set' : '',
      chunk && pathToFileURL(chunk).href,
    ],
    { env: { ...process.env, AICONTENT_ENDPOINT: 'http://127.0.0.1:9' } },
  );
  return JSON.parse(out.toString());
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** A stack of `frames` frames at mapped positions of a bundle, as Node writes one. */
function stackIn(file: string, frames: number): string {
  const code = readFileSync(file, 'utf8').split('\n');
  const url = pathToFileURL(file).href;
  const lines = ['Error: boom'];
  for (let i = 0; i < frames; i++) {
    const line = 1 + (i % code.length);
    const column = 1 + Math.floor(((code[line - 1]?.length ?? 1) * (i + 1)) / (frames + 1));
    lines.push(`    at f${i} (${url}:${line}:${column})`);
  }
  return lines.join('\n');
}

function timed(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

const dir = mkdtempSync(join(tmpdir(), 'cold-start-'));
try {
  const variants = {
    ours: { entry: 'functions/query/handler.ts', outdir: join(dir, 'ours') },
    sdk: { entry: 'bench/fixtures/queryWithSdk.ts', outdir: join(dir, 'sdk') },
  };
  const sizes: Record<string, BundleSizes> = {};
  for (const [name, variant] of Object.entries(variants))
    sizes[name] = bundleSizes(await bundle(variant), variant.outdir);
  const ours = join(variants.ours.outdir, 'index.mjs');
  const chunks = join(variants.ours.outdir, 'chunks');
  // shared/stores/redis/store.ts and what only it imports (ioredis among them).
  const redisChunk = join(chunks, readdirSync(chunks).find((file) => /^store-.*\.mjs$/.test(file)) ?? '');

  const runs: Record<SourceMaps | 'sdk', [number, number][]> = { ours: [], flag: [], set: [], sdk: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const maps of ['ours', 'flag', 'set'] as const) runs[maps].push(initMs(ours, maps, redisChunk));
    runs.sdk.push(initMs(join(variants.sdk.outdir, 'index.mjs'), 'ours'));
  }
  const init = (name: keyof typeof runs) => median(runs[name].map(([ms]) => ms));
  const chunk = (name: keyof typeof runs) => median(runs[name].map(([, ms]) => ms));
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  const ratio = init('ours') / init('sdk');
  console.log(
    `cold-start.ratio: ${ratio.toFixed(3)} x the SDK variant's init ` +
      `(goal ≤ ${RATIO_GOAL.toFixed(3)} x: ${verdict(ratio <= RATIO_GOAL)})`,
  );
  console.log(`cold-start.ours.init: ${init('ours').toFixed(1)} ms (median of ${RUNS}, on this machine)`);
  console.log(`cold-start.sdk.init: ${init('sdk').toFixed(1)} ms (median of ${RUNS}, on this machine)`);
  for (const [name, size] of Object.entries(sizes)) {
    console.log(`bundle.${name}.size: ${(size.eager / 1024).toFixed(1)} KB loaded at start`);
    console.log(`bundle.${name}.total: ${(size.total / 1024).toFixed(1)} KB with on-demand chunks`);
  }
  const oursKb = (sizes.ours?.eager ?? 0) / 1024;
  console.log(`bundle.goal: ours ≤ ${SIZE_GOAL_KB} KB loaded at start: ${verdict(oursKb <= SIZE_GOAL_KB)}`);

  const ways = {
    ours: 'maps read on an error line',
    flag: '--enable-source-maps',
    set: 'setSourceMapsEnabled',
  };
  for (const [maps, way] of Object.entries(ways) as [SourceMaps, string][]) {
    console.log(
      `source-maps.${maps}.init: ${init(maps).toFixed(1)} ms, then the Redis chunk ${chunk(maps).toFixed(1)} ms (${way})`,
    );
  }
  const stack = stackIn(ours, 10);
  const first = timed(() => sourceMappedStack(stack));
  const later = median(Array.from({ length: 21 }, () => timed(() => sourceMappedStack(stack))));
  console.log(
    `source-maps.ours.firstStack: ${first.toFixed(1)} ms (reads index.mjs.map), then ${later.toFixed(2)} ms a stack`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
