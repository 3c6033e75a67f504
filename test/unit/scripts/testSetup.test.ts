/**
 * `npm test`'s setup (scripts/test-setup.sh) run with a PATH of stub commands only: what it would ask
 * apt-get to install, or what it says to install where there is no apt-get. Nothing is installed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from '#test/helpers/tsxProcess.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs the script with only `commands` on PATH (each a stub; `apt-get` records its arguments). */
function runSetup(commands: string[]) {
  const bin = mkdtempSync(join(tmpdir(), 'test-setup-'));
  dirs.push(bin);
  const log = join(bin, 'apt-get.log');
  writeFileSync(log, '');
  const stubs: Record<string, string> = { id: 'echo 0', 'apt-get': `echo "$*" >> ${log}` };
  for (const command of commands) {
    writeFileSync(join(bin, command), `#!/bin/sh\n${stubs[command] ?? 'exit 0'}\n`);
    chmodSync(join(bin, command), 0o755);
  }
  const run = spawnSync('/bin/sh', [join(root, 'scripts/test-setup.sh')], {
    env: { PATH: bin },
    encoding: 'utf8',
  });
  return { status: run.status, stderr: run.stderr, aptGet: readFileSync(log, 'utf8').trim().split('\n') };
}

describe('scripts/test-setup.sh', () => {
  it('installs python3 and a JDK 17 with apt-get when python3 and java are missing', () => {
    const setup = runSetup(['id', 'apt-get', 'redis-server']);
    expect(setup.status).toBe(0);
    expect(setup.aptGet[0]).toBe('update -qq');
    expect(setup.aptGet[1]).toMatch(/^install -y -qq .*\bpython3 openjdk-17-jdk-headless$/);
  });

  it('asks for neither when python3 and java are there', () => {
    const setup = runSetup(['id', 'apt-get', 'redis-server', 'python3', 'java']);
    expect(setup.status).toBe(0);
    expect(setup.aptGet.join('\n')).not.toMatch(/python3|openjdk/);
  });

  it('without apt-get, names what to install and stops', () => {
    const setup = runSetup(['id', 'redis-server']);
    expect(setup.status).toBe(1);
    expect(setup.stderr).toMatch(/^npm test needs:.* python3 openjdk-17-jdk-headless\. Install it/);
  });
});
