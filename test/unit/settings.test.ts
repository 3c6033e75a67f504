/**
 * One source of truth: shared/settings.ts declares every setting; the functions read exactly the ones
 * it says they read, s.yaml passes each of them to each function that reads it with the declared
 * default, and the README's tables are the ones `npm run settings` writes.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { deployedDefault, FC_PROVIDED, type FunctionId, SETTINGS, type Setting } from '#shared/settings.ts';
import { withSettingsTables } from '../../scripts/settings.ts';

const all = Object.entries(SETTINGS) as [string, Setting][];
const FUNCTIONS: FunctionId[] = ['query', 'sweeper', 'on-job-done'];

/** The settings s.yaml gives `fn`: the ones it reads, except those only the local runtime sets. */
const passedTo = (fn: FunctionId) =>
  all.filter(([, setting]) => setting.readBy.includes(fn) && !setting.local).map(([name]) => name);

/** Read while a module is imported under vitest (tsx's watch mode), not by our code. */
const TEST_TOOLING = ['WATCH_REPORT_DEPENDENCIES'];

const savedEnv = process.env;
afterEach(() => {
  process.env = savedEnv;
  vi.resetModules();
});

/** The names a function's module reads from its environment when an FC instance loads it. */
async function namesRead(fn: FunctionId): Promise<string[]> {
  const read = new Set<string>();
  const onFc: Record<string, string> = { FC_FUNCTION_NAME: `aicontent-jobs-${fn}`, FC_INSTANCE_ID: 'c-1' };
  process.env = new Proxy(onFc, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  vi.resetModules();
  await import(`#functions/${fn}/handler.ts`);
  process.env = savedEnv;
  const ignored: readonly string[] = [...FC_PROVIDED, ...TEST_TOOLING];
  return [...read].filter((name) => !ignored.includes(name)).sort();
}

describe('the settings registry', () => {
  it.each(all)('%s: its default is one of its values', (_, setting) => {
    if (setting.type === 'int') {
      expect(setting.default).toBeGreaterThanOrEqual(setting.min);
      expect(setting.default).toBeLessThanOrEqual(setting.max);
    }
    if (setting.type === 'enum') expect(setting.values).toContain(setting.default);
    expect(setting.meaning.length).toBeGreaterThan(10);
    // A deployment setting is read by s.yaml alone; any other by at least one function.
    expect(setting.readBy.length === 0).toBe(setting.deploy === true);
  });
});

describe('the functions read what the registry says they read', () => {
  it.each(FUNCTIONS)('%s', async (fn) => {
    const declared = all.filter(([, setting]) => setting.readBy.includes(fn)).map(([name]) => name);
    expect(await namesRead(fn)).toEqual(declared.sort());
  });
});

describe('s.yaml', () => {
  const text = readFileSync('s.yaml', 'utf8');
  const document = parse(text) as { resources: Record<string, { props: Record<string, unknown> }> };

  it.each(FUNCTIONS)('gives %s every setting it reads, with the declared default, and nothing else', (fn) => {
    const variables = document.resources[fn]?.props.environmentVariables as Record<string, string>;
    expect(Object.keys(variables).sort()).toEqual(passedTo(fn).sort());
    for (const [name, value] of Object.entries(variables)) {
      const setting = SETTINGS[name as keyof typeof SETTINGS] as Setting;
      expect(value, name).toBe(`\${env('${name}', '${deployedDefault(setting)}')}`);
    }
  });

  it('reads only declared settings, each with its declared default, and every deployment setting', () => {
    // `${env('X', 'd')}`, or `${env('X', 'd').split(',')}` for a list.
    const used = [...text.matchAll(/\$\{env\('([^']+)'(?:, '([^']*)')?\)(?:\.split\('[^']*'\))?\}/g)];
    for (const [, name, fallback] of used) {
      const setting = SETTINGS[name as keyof typeof SETTINGS] as Setting | undefined;
      expect(setting, `${name} is used in s.yaml but not declared in shared/settings.ts`).toBeDefined();
      expect(setting?.local, `${name} is for the local runtime only`).toBeUndefined();
      if (setting) expect(fallback, name).toBe(deployedDefault(setting));
    }
    const names = new Set(used.map(([, name]) => name));
    for (const [name, setting] of all) if (setting.deploy) expect(names.has(name), name).toBe(true);
  });
});

describe('README', () => {
  it('shows the tables `npm run settings` writes', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme, 'run `npm run settings`').toBe(withSettingsTables(readme));
  });
});
