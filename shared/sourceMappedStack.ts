/**
 * Stack traces of the bundles, told in the TypeScript sources: `file:///code/index.mjs:1:23456` becomes
 * `shared/jobs/sweep.ts:212:11`, from the source map esbuild writes beside each bundle
 * (`sourcemap: 'linked'`, `index.mjs.map`).
 *
 * Mapped lazily, when a stack is logged, not by Node: `--enable-source-maps` (or
 * `process.setSourceMapsEnabled`) reads and parses every map as its bundle loads, which costs every cold
 * start (bench/coldStart.bench.ts measures it), while a stack is logged only for an error line, seldom.
 * A bundle's map is read and decoded (by Node's own `SourceMap`, which needs no flag) the first time one
 * of its frames is mapped, then kept for the instance. Only `.mjs` frames are mapped (our bundles); a
 * frame without a readable map is left as it is.
 */
import { createRequire, SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';

const maps = new Map<string, SourceMap | null>();

/**
 * A file's text, with `node:fs` loaded on the first call: every function logs, so this module loads at
 * every cold start, where nothing else needs `node:fs` (loading it cost the query function's init about
 * 3 % more instructions: bench/README.md, "Cold start").
 */
function readText(file: string): string {
  const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
  return fs.readFileSync(file, 'utf8');
}

/** The source map beside a bundle (`<file>.map`), read once; null when there is none to read. */
function mapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map !== undefined) return map;
  try {
    map = new SourceMap(JSON.parse(readText(`${file}.map`)) as SourceMapPayload);
  } catch {
    map = null; // no map beside the bundle, or not one Node can read: its frames stay as they are
  }
  maps.set(file, map);
  return map;
}

/** A map's source, written relative to the map in dist/<function>/ (`../../` then the project path), as that project path. */
function projectPath(source: string): string {
  return source.replace(/^(?:\.\.?\/)+/, '');
}

/** A bundle's frame position: `file:///code/index.mjs:1:234` or `/code/index.mjs:1:234`. */
const BUNDLE_FRAME = /(file:\/\/\/[^\s()]+?\.mjs|\/[^\s():]+?\.mjs):(\d+):(\d+)/g;

/** `stack` with each frame of a bundle that has a source map told as its position in the source. */
export function sourceMappedStack(stack: string): string {
  if (!stack.includes('.mjs:')) return stack;
  return stack.replace(BUNDLE_FRAME, (frame, location: string, line: string, column: string) => {
    const map = mapOf(location.startsWith('file:') ? fileURLToPath(location) : location);
    // Stacks count lines and columns from 1, source maps from 0.
    const entry = map?.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || !('originalSource' in entry)) return frame;
    return `${projectPath(entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}
