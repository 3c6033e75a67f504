/**
 * `npm run build`: bundles each function (`functions/<name>/handler.ts`) into minified ESM,
 * `dist/<name>/index.mjs`, which is what s.yaml deploys (`code: ./dist/<name>`, `handler: index.handler`).
 * Code loaded only on demand (the Redis client, say) goes to `dist/<name>/chunks/`, so an instance
 * that does not need it neither loads nor parses it at cold start.
 * `@alicloud/fc2` stays external: the FC Node.js 20 runtime has it built in.
 *
 * Native modules stay external too. The bundles for FC carry none: a `.node` binary is built for the
 * machine that ran `npm ci` (the SQLite binding built on Debian 12 needs glibc 2.34; FC's nodejs20 has
 * 2.28), and the only one we use, the embedded store's, has no place on FC (README "Deploying"). For
 * local runs (`npm start`, the tests) `{ local: true }` copies them into `dist/<name>/node_modules/` of
 * the bundles that import them.
 */
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildResult, build, type Plugin } from 'esbuild';
import { usageIfAsked } from '#local/cli/cliSupport.ts';

/** Modules the FC nodejs20 runtime provides (docs/fc-runtime.md §4.3). */
export const RUNTIME_PROVIDED = ['@alicloud/fc2'];

/**
 * Native modules, which cannot be bundled, and the files (under node_modules/) a bundle importing one
 * needs next to it: the module and its runtime dependencies. The `.node` binary is the one `npm ci`
 * built or downloaded for this machine: build on linux-x64 (glibc) for FC.
 */
export const NATIVE_MODULES: Record<string, string[]> = {
  'better-sqlite3': [
    'better-sqlite3/package.json',
    'better-sqlite3/LICENSE',
    'better-sqlite3/lib',
    'better-sqlite3/build/Release/better_sqlite3.node',
    'bindings/package.json',
    'bindings/LICENSE.md',
    'bindings/bindings.js',
    'file-uri-to-path/package.json',
    'file-uri-to-path/LICENSE',
    'file-uri-to-path/index.js',
  ],
};

/** `node:stream/web` as `@middy/core` imports it: scripts/middyStreamWeb.ts, which says why. */
const middyWithoutWebStreams: Plugin = {
  name: 'middy-without-web-streams',
  setup(build) {
    build.onResolve({ filter: /^node:stream\/web$/ }, ({ importer }) =>
      /[\\/]node_modules[\\/]@middy[\\/]core[\\/]/.test(importer)
        ? { path: fileURLToPath(new URL('middyStreamWeb.ts', import.meta.url)) }
        : undefined,
    );
  },
};

export interface BundleOptions {
  entry: string;
  /** Gets `index.mjs` and `chunks/`. */
  outdir: string;
  minify?: boolean;
}

export function bundle({
  entry,
  outdir,
  minify = true,
}: BundleOptions): Promise<BuildResult<{ metafile: true }>> {
  rmSync(outdir, { recursive: true, force: true });
  return build({
    entryPoints: { index: entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify,
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'none',
    external: [...RUNTIME_PROVIDED, ...Object.keys(NATIVE_MODULES)],
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins. Every output gets
    // the banner, and a cold start loads several (the entry and its shared chunks), so each makes its
    // require on its first call: only the chunks holding those dependencies ever call it.
    banner: {
      js: "import{createRequire as __cr}from'node:module';let __rq;const require=(id)=>(__rq??=__cr(import.meta.url))(id);",
    },
    plugins: [middyWithoutWebStreams],
    logLevel: 'warning',
  });
}

export function functionNames(root = 'functions'): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** Puts the native modules a bundle imports (NATIVE_MODULES) in `<dir>/node_modules/`, and only those. */
export function copyNativeModules(
  imports: readonly { path: string; external?: boolean }[],
  dir: string,
): void {
  rmSync(`${dir}/node_modules`, { recursive: true, force: true });
  for (const [module, files] of Object.entries(NATIVE_MODULES)) {
    if (!imports.some((imported) => imported.external && imported.path === module)) continue;
    for (const file of files)
      cpSync(`node_modules/${file}`, `${dir}/node_modules/${file}`, { recursive: true });
  }
}

export interface BundleSizes {
  /** What every cold start loads: `index.mjs` and the chunks it imports statically. */
  eager: number;
  /** Everything, on-demand chunks included. */
  total: number;
}

/** Sizes of a bundle's JavaScript outputs (source maps left out). */
export function bundleSizes(result: BuildResult<{ metafile: true }>, outdir: string): BundleSizes {
  const outputs = result.metafile.outputs;
  const eager = new Set<string>();
  const visit = (file: string) => {
    if (eager.has(file) || !outputs[file]) return;
    eager.add(file);
    for (const imported of outputs[file].imports)
      if (imported.kind === 'import-statement') visit(imported.path);
  };
  visit(join(relative(process.cwd(), outdir), 'index.mjs')); // the metafile's paths are relative
  const bytes = (files: Iterable<string>) =>
    [...files].reduce((sum, file) => sum + (outputs[file]?.bytes ?? 0), 0);
  return { eager: bytes(eager), total: bytes(Object.keys(outputs).filter((file) => file.endsWith('.mjs'))) };
}

export interface BuildOptions {
  /** Where `<name>/index.mjs` go (default `dist`). */
  root?: string;
  /** For this machine (`npm start`, tests): with the native modules the bundles import. Default: for FC. */
  local?: boolean;
}

export async function buildAll({
  root = 'dist',
  local = false,
}: BuildOptions = {}): Promise<Record<string, BundleSizes>> {
  const sizes: Record<string, BundleSizes> = {};
  for (const name of functionNames()) {
    const outdir = `${root}/${name}`;
    const result = await bundle({ entry: `functions/${name}/handler.ts`, outdir });
    sizes[name] = bundleSizes(result, outdir);
    const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports);
    copyNativeModules(local ? imports : [], outdir);
  }
  return sizes;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  usageIfAsked(`usage: npm run build [-- --local]

Bundles each function into dist/<name>/index.mjs (what s deploy uploads) and prints what each loads at
start. --local also copies the native modules the bundles import, for runs on this machine.`);
  for (const [name, size] of Object.entries(await buildAll({ local: process.argv.includes('--local') }))) {
    console.log(
      `built dist/${name}: ${kb(size.eager)} loaded at start, ${kb(size.total)} with on-demand chunks`,
    );
  }
}
