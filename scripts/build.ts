/**
 * `npm run build`: bundles each function (`functions/<name>/handler.ts`) into one minified ESM file,
 * `dist/<name>/index.mjs`, which is what s.yaml deploys (`code: ./dist/<name>`, `handler: index.handler`).
 * `@alicloud/fc2` stays external: the FC Node.js 20 runtime has it built in.
 */
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type BuildResult, build } from 'esbuild';

/** Modules the FC nodejs20 runtime provides (fc-runtime.md §4.3). */
export const RUNTIME_PROVIDED = ['@alicloud/fc2'];

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
    external: RUNTIME_PROVIDED,
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

export async function buildAll(outdir = 'dist'): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const name of functionNames()) {
    const outfile = `${outdir}/${name}/index.mjs`;
    const result = await bundle({ entry: `functions/${name}/handler.ts`, outfile });
    sizes[name] = result.metafile.outputs[outfile]?.bytes ?? 0;
  }
  return sizes;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const [name, bytes] of Object.entries(await buildAll())) {
    console.log(`built dist/${name}/index.mjs (${(bytes / 1024).toFixed(1)} KB)`);
  }
}
