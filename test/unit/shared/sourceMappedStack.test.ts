/**
 * Stacks of a real bundle (built as `npm run build` builds a function: minified, `sourcemap: 'linked'`)
 * told in the TypeScript sources, and the logger's rule: stacks on error lines only.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceMappedStack } from '#shared/sourceMappedStack.ts';
import { bundle } from '../../../scripts/build.ts';

const FIXTURE = 'test/fixtures/sourceMaps/fails.ts';
/** The line of the fixture that throws, 1-based as stacks count. */
const THROW_LINE =
  readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes('throw new')) + 1;

/**
 * What the bundle gives in a plain Node process, as on FC (the test runner maps stacks itself): the stack
 * of `fail()`, and the lines `logFailure` writes.
 */
const RUN_BUNDLE = `const bundle = await import(process.argv[1]);
let stack;
try { bundle.fail(); } catch (error) { stack = error.stack; }
const lines = [];
bundle.logFailure((line) => lines.push(JSON.parse(line)));
process.stdout.write(JSON.stringify({ stack, lines }));`;

let dir: string;
let fromBundle: { stack: string; lines: Record<string, { stack?: string }>[] };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'source-maps-'));
  await bundle({ entry: FIXTURE, outdir: join(dir, 'with-map') });
  const file = pathToFileURL(join(dir, 'with-map', 'index.mjs')).href;
  fromBundle = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', RUN_BUNDLE, file], {
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sourceMappedStack', () => {
  it('tells a bundle frame as the TypeScript source line that threw', () => {
    const { stack } = fromBundle;
    expect(stack).toContain('index.mjs:'); // minified, and Node maps nothing by itself
    const mapped = sourceMappedStack(stack);
    expect(mapped).toMatch(new RegExp(`test/fixtures/sourceMaps/fails\\.ts:${THROW_LINE}:\\d+`));
    expect(mapped).not.toContain('index.mjs:');
    expect(mapped.split('\n')[0]).toBe('Error: fails on purpose');
  });

  it('leaves alone frames of a bundle without a map, and those that are not bundles', () => {
    const stack = [
      'Error: x',
      `    at a (${pathToFileURL(join(dir, 'none', 'index.mjs')).href}:1:200)`,
      '    at b (/var/fc/runtime/nodejs20/bootstrap.js:10:5)',
      '    at async Promise.all (index 0)',
    ].join('\n');
    expect(sourceMappedStack(stack)).toBe(stack);
  });

  it('leaves alone frames of a bundle whose map cannot be read', async () => {
    await bundle({ entry: FIXTURE, outdir: join(dir, 'broken-map') });
    writeFileSync(join(dir, 'broken-map', 'index.mjs.map'), '{"version": 3, "mappings": ');
    const stack = `Error: x\n    at a (${join(dir, 'broken-map', 'index.mjs')}:1:200)`;
    expect(sourceMappedStack(stack)).toBe(stack);
  });
});

describe('logged errors', () => {
  it('carry the stack, in the sources, on error lines only', () => {
    const [errorLine, warnLine] = fromBundle.lines;
    expect(errorLine?.error?.stack).toMatch(new RegExp(`fails\\.ts:${THROW_LINE}:\\d+`));
    expect(warnLine?.error).toEqual({ name: 'Error', message: 'fails on purpose' });
  });
});
