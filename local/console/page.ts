/**
 * The console page, built once per process: esbuild bundles page/main.ts (with uPlot and the CSS) and
 * the result is inlined into page/index.html, so the page is one self-contained HTML document that
 * loads nothing from anywhere. Its Content-Security-Policy allows exactly that inline script and style
 * (by hash) and calls to its own origin, so a remote font, script or image would be refused and seen.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

export interface ConsolePage {
  /** The page for one API target (shown in its header). */
  html(target: string): string;
  contentSecurityPolicy: string;
  /** Bytes of the page (without the target), as sent and gzipped. */
  size: { bytes: number; gzipBytes: number; scriptBytes: number; styleBytes: number };
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

const escapeAttribute = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function bundlePage(): Promise<{ script: string; style: string }> {
  const result = await build({
    entryPoints: [`${PAGE_DIR}main.ts`],
    bundle: true,
    write: false,
    outdir: 'console',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    logLevel: 'silent',
  });
  const output = (extension: string) =>
    result.outputFiles.find((file) => file.path.endsWith(extension))?.text ?? '';
  // Inlined, the code must not close its own element early.
  return {
    script: output('.js').replace(/<\/(script)/gi, '<\\/$1'),
    style: output('.css').replace(/<\/(style)/gi, '<\\/$1'),
  };
}

async function buildPage(): Promise<ConsolePage> {
  const [{ script, style }, template] = await Promise.all([
    bundlePage(),
    readFile(`${PAGE_DIR}index.html`, 'utf8'),
  ]);
  const filled = template.replace('/*style*/', () => style).replace('/*script*/', () => script);
  const html = (target: string) => filled.replace('{{target}}', () => escapeAttribute(target));
  const bytes = Buffer.byteLength(html(''));
  return {
    html,
    contentSecurityPolicy: [
      "default-src 'none'",
      `script-src ${sha256(script)}`,
      `style-src ${sha256(style)}`,
      "img-src 'self' data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    size: {
      bytes,
      gzipBytes: gzipSync(html('')).length,
      scriptBytes: Buffer.byteLength(script),
      styleBytes: Buffer.byteLength(style),
    },
  };
}

let page: Promise<ConsolePage> | undefined;

/** The page, bundled on first use (about 0.1 s) and kept for the life of the process. */
export function consolePage(): Promise<ConsolePage> {
  page ??= buildPage().catch((error: unknown) => {
    page = undefined;
    throw error;
  });
  return page;
}
