/**
 * `npm run build`: bundles each function (`functions/<name>/handler.ts`) into one minified ESM file,
 * `dist/<name>/index.mjs`, which is what s.yaml deploys (`code: ./dist/<name>`, `handler: index.handler`).
 * `@alicloud/fc2` stays external: the FC Node.js 20 runtime has it built in. Native modules stay external
 * too and are copied into `dist/<name>/node_modules/` of the bundles that import them.
 */
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type BuildResult, build } from 'esbuild';

/** Modules the FC nodejs20 runtime provides (fc-runtime.md §4.3). */
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

export interface BundleOptions {
  entry: string;
  outfile: string;
  minify?: boolean;
}

export function bundle({
  entry,
  outfile,
  minify = true,
}: BundleOptions): Promise<BuildResult<{ metafile: true }>> {
  return build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify,
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'none',
    external: [...RUNTIME_PROVIDED, ...Object.keys(NATIVE_MODULES)],
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
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

export async function buildAll(outdir = 'dist'): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const name of functionNames()) {
    const outfile = `${outdir}/${name}/index.mjs`;
    const result = await bundle({ entry: `functions/${name}/handler.ts`, outfile });
    const output = result.metafile.outputs[outfile];
    sizes[name] = output?.bytes ?? 0;
    copyNativeModules(output?.imports ?? [], `${outdir}/${name}`);
  }
  return sizes;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const [name, bytes] of Object.entries(await buildAll())) {
    console.log(`built dist/${name}/index.mjs (${(bytes / 1024).toFixed(1)} KB)`);
  }
}
