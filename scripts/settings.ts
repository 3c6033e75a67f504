/**
 * `npm run settings`: writes the README's two settings tables (function settings, deployment settings)
 * from shared/settings.ts, between the `<!-- settings:… -->` markers. test/unit/settings.test.ts fails
 * when the README is not what this would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { usageIfAsked } from '#local/cli/cliSupport.ts';
import { SETTINGS, type Setting } from '#shared/settings.ts';

const code = (text: string) => `\`${text}\``;

function defaultCell(setting: Setting): string {
  // A deployment setting's default is s.yaml's.
  if (setting.deploy && setting.deployDefault === '') return 'none, must be set';
  const shown = (value: string) => (value === '' ? 'none' : code(value));
  const own = shown(String(setting.default));
  if (setting.deployDefault === undefined) return own;
  const deployed = setting.deployDefault === '' ? 'none, must be set' : code(setting.deployDefault);
  return `${own} (s.yaml: ${deployed})`;
}

function valuesCell(setting: Setting): string {
  switch (setting.type) {
    case 'int':
      return `${setting.min}–${setting.max}`;
    case 'bool':
      return '`true`, `false`';
    case 'enum':
      return setting.values.map(code).join(', ');
    case 'string':
      return setting.secret ? 'text (secret)' : 'text';
  }
}

function table(rows: [string, Setting][], withReaders: boolean): string {
  const header = withReaders
    ? ['| variable | default | used by | values | meaning |', '|---|---|---|---|---|']
    : ['| variable | default | values | meaning |', '|---|---|---|---|'];
  const lines = rows.map(([name, setting]) => {
    const readers = `${setting.readBy.join(', ')}${setting.local ? ' (local runtime only)' : ''}`;
    const cells = [code(name), defaultCell(setting), ...(withReaders ? [readers] : [])];
    return `| ${[...cells, valuesCell(setting), setting.meaning].join(' | ')} |`;
  });
  return [...header, ...lines].join('\n');
}

/** The README's tables, by marker name. */
export function settingsTables(): Record<'functions' | 'deployment', string> {
  const all = Object.entries(SETTINGS) as [string, Setting][];
  return {
    functions: table(
      all.filter(([, setting]) => !setting.deploy),
      true,
    ),
    deployment: table(
      all.filter(([, setting]) => setting.deploy),
      false,
    ),
  };
}

/** `text` with each `<!-- settings:NAME -->` … `<!-- /settings:NAME -->` block holding its table. */
export function withSettingsTables(text: string): string {
  let out = text;
  for (const [name, rendered] of Object.entries(settingsTables())) {
    const block = new RegExp(`(<!-- settings:${name} -->)[\\s\\S]*?(<!-- /settings:${name} -->)`);
    if (!block.test(out)) throw new Error(`README.md has no <!-- settings:${name} --> block`);
    out = out.replace(block, (_, open: string, close: string) => `${open}\n${rendered}\n${close}`);
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  usageIfAsked(
    'usage: npm run settings\n\nWrites the settings tables of README.md from shared/settings.ts (between its <!-- settings:… --> markers).',
  );
  const readme = readFileSync('README.md', 'utf8');
  const updated = withSettingsTables(readme);
  writeFileSync('README.md', updated);
  console.log(
    updated === readme ? 'README.md: settings tables up to date' : 'README.md: settings tables written',
  );
}
