/**
 * Bundle mode runs a function's code as FC's nodejs20 runtime does: plain Node 20 ESM (no tsx), from
 * a copy of its code package, with only FC's built-in modules beside it (through NODE_PATH, for
 * require). The fixture bundles live inside the repository, where Node's upward lookup would otherwise
 * find the repository's node_modules.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvocationOutcome } from '#local/runtime/outcome.ts';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime/runtime.ts';
import { FIXTURE_DIR } from '#test/helpers/localRuntime.ts';

const S_YAML = join(FIXTURE_DIR, 'isolation', 's.yaml');
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startLocalRuntime({ sYamlPath: S_YAML, timers: false, log: () => {} });
});
afterAll(() => runtime.close());

function resultOf(outcome: InvocationOutcome): Record<string, unknown> {
  if (!outcome.ok || outcome.result.type !== 'json') throw new Error(`unexpected ${JSON.stringify(outcome)}`);
  return JSON.parse(outcome.result.json) as Record<string, unknown>;
}

const probe = async (name: string) => resultOf(await runtime.invoke('isolation-probe', name));

describe('bundle mode', () => {
  it('refuses an extension-less relative import, as plain Node 20 does', async () => {
    expect(await probe('relative-without-extension')).toMatchObject({
      loaded: false,
      code: 'ERR_MODULE_NOT_FOUND',
    });
    expect(await probe('relative-with-extension')).toMatchObject({ loaded: true });
  });

  it('refuses a bundle that imports one statically: it never loads', async () => {
    const outcome = await runtime.invoke('isolation-broken', '');
    expect(outcome).toMatchObject({
      ok: false,
      error: { errorType: 'Error', errorMessage: expect.stringMatching(/Cannot find module .*helper'/) },
    });
  });

  it("cannot reach the repository's node_modules, by import or by require", async () => {
    expect(await probe('repo-package')).toMatchObject({ loaded: false, code: 'ERR_MODULE_NOT_FOUND' });
    expect(await probe('repo-package-required')).toMatchObject({ loaded: false, code: 'MODULE_NOT_FOUND' });
  });

  it('resolves modules inside the code package (its own node_modules)', async () => {
    expect(await probe('own-package')).toMatchObject({ loaded: true, type: 'string' });
  });

  it("finds FC's built-in @alicloud/fc2 through NODE_PATH with require, not with import", async () => {
    expect(await probe('provided-required')).toEqual({ loaded: true, type: 'function' });
    expect(await probe('provided-imported')).toMatchObject({ loaded: false, code: 'ERR_MODULE_NOT_FOUND' });
  });

  it('runs from a copy of the code directory outside the repository, FC_FUNC_CODE_PATH pointing there', async () => {
    const where = (await probe('where')) as { codePath: string; url: string; nodePath: string };
    expect(where.codePath.startsWith(REPO)).toBe(false);
    expect(fileURLToPath(where.url)).toBe(join(where.codePath, 'index.mjs'));
    expect(existsSync(join(where.codePath, 'node_modules', 'own-dep', 'index.js'))).toBe(true);
    expect(existsSync(join(where.nodePath, '@alicloud', 'fc2', 'package.json'))).toBe(true);
    expect(where.nodePath.startsWith(REPO)).toBe(false);
  });

  it('deletes the copies when it closes', async () => {
    const other = await startLocalRuntime({ sYamlPath: S_YAML, timers: false, log: () => {} });
    const { codePath } = resultOf(await other.invoke('isolation-probe', 'where')) as { codePath: string };
    expect(existsSync(codePath)).toBe(true);
    await other.close();
    expect(existsSync(codePath)).toBe(false);
  });
});
