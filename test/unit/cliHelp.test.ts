/**
 * Every command-line tool of package.json answers `--help` with its usage on stdout and exit code 0,
 * doing nothing else (no build, no server, no file written). The list is read from package.json's
 * scripts, so a tool added there is held to it too.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { root, tsxProcesses } from '#test/helpers/tsxProcess.ts';

const runTsx = tsxProcesses();

const scripts = (
  JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { scripts: Record<string, string> }
).scripts;

/** `npm run NAME` → the TypeScript file it runs with tsx (`tsx watch` left out: `npm run dev` is `npm start`'s). */
const tools = Object.entries(scripts).flatMap(([name, command]) => {
  const file = /^tsx ([^\s]+\.ts)/.exec(command)?.[1];
  return file ? [[name, file] as const] : [];
});

describe('--help', () => {
  it('finds the tools', () => {
    expect(tools.map(([name]) => name)).toEqual(expect.arrayContaining(['query', 'call', 'start', 'build']));
  });

  it.each(tools)('npm run %s -- --help prints its usage and exits 0', async (_, file) => {
    const tool = runTsx([file, '--help'], {
      ...process.env,
      PORT: '1',
      EMULATOR_PORT: '1',
      CONSOLE_PORT: '1',
    });
    expect(await tool.exit).toBe(0);
    expect(tool.stdout()).toMatch(/usage/i);
    expect(tool.stderr()).toBe('');
  });
});
