import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAll } from '../../../scripts/build.ts';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Every file under `dir`, relative to it. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
}

async function build(local: boolean): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'build-'));
  roots.push(root);
  await buildAll({ root, local });
  return root;
}

describe('buildAll', () => {
  it('for FC: every function, and no native module anywhere', async () => {
    const root = await build(false);
    for (const name of ['query', 'sweeper', 'on-job-done']) {
      const shipped = files(join(root, name));
      expect(shipped).toContain('index.mjs');
      expect(shipped.filter((file) => file.endsWith('.node') || file.startsWith('node_modules'))).toEqual([]);
    }
  });

  it("gives middy a stand-in for node:stream/web, which its streaming mode (AWS Lambda's) alone uses", async () => {
    const root = await build(false);
    for (const name of ['query', 'sweeper', 'on-job-done']) {
      const bundle = readFileSync(join(root, name, 'index.mjs'), 'utf8');
      expect(bundle).not.toContain('node:stream/web');
      expect(bundle).toContain('instanceof globalThis.ReadableStream');
    }
  });

  it('for local runs: the SQLite binding next to the bundles that open the embedded store', async () => {
    const root = await build(true);
    for (const name of ['query', 'sweeper']) {
      expect(
        existsSync(join(root, name, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')),
      ).toBe(true);
    }
    expect(existsSync(join(root, 'on-job-done', 'node_modules'))).toBe(false);
  });
});
