/**
 * The README's error table (HTTP API) holds exactly the replies the query function can give: every
 * (status, code) an error in its code can be answered with, and nothing else. The codes are read from
 * the sources the query function's bundle is built from (its esbuild inputs, so a module it stops
 * importing stops counting): each `new AppError('Code', …, { statusCode })`, each `InvalidInputError`
 * (400) and each subclass's `super(…)`, and the codes aicontent's failures are classified into. An error
 * of status 500 and up that is not exposed is answered 500 `InternalError`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundle } from '../../scripts/build.ts';

/** `(status) code` pairs, as sorted strings: easy to compare and to read in a failure. */
type Replies = string[];
const reply = (status: number, code: string) => `${status} ${code}`;

/** The text of a call's arguments, from the `(` at `open` to its matching `)`; strings are skipped. */
function callArguments(source: string, open: number): string {
  let depth = 0;
  for (let at = open; at < source.length; at++) {
    const char = source[at] as string;
    if (char === "'" || char === '"' || char === '`') {
      at = source.indexOf(char, at + 1); // no escaped quotes of the same kind in these calls
      continue;
    }
    if (char === '(') depth++;
    if (char === ')' && --depth === 0) return source.slice(open + 1, at);
  }
  throw new Error(`unbalanced call at ${open}`);
}

/** The replies a file's errors can make. */
function repliesIn(source: string): Replies {
  const found: Replies = [];
  const calls = /new (AppError|InvalidInputError)\(|super\(/g;
  for (let match = calls.exec(source); match; match = calls.exec(source)) {
    // `super(…)` builds what the enclosing class extends.
    const base =
      match[1] ?? [...source.slice(0, match.index).matchAll(/class \w+ extends (\w+)/g)].at(-1)?.[1] ?? '';
    const args = callArguments(source, match.index + match[0].length - 1);
    if (base === 'InvalidInputError') {
      const code = /,\s*'(\w+)'\s*,?\s*$/.exec(args)?.[1] ?? 'InvalidInput';
      found.push(reply(400, code));
    } else if (base === 'AppError') {
      const code = /^\s*'(\w+)'/.exec(args)?.[1];
      if (!code) continue; // a class passing its parameter on (InvalidInputError, AicontentError)
      const status = Number(/statusCode:\s*(\d+)/.exec(args)?.[1] ?? 500);
      const exposed = /expose:\s*true/.test(args) || status < 500;
      found.push(exposed ? reply(status, code) : reply(500, 'InternalError'));
    }
  }
  // aicontent's failures, classified: `{ statusCode: 404, code: 'JobNotFound', … }` (all exposed).
  for (const [, status, code] of source.matchAll(/statusCode:\s*(\d+),\s*code:\s*'(\w+)'/g)) {
    found.push(reply(Number(status), code as string));
  }
  return found;
}

/** The query function's own source files: its bundle's inputs outside node_modules. */
async function querySources(): Promise<string[]> {
  const outdir = mkdtempSync(join(tmpdir(), 'readme-errors-'));
  try {
    const result = await bundle({ entry: 'functions/query/handler.ts', outdir, minify: false });
    return Object.keys(result.metafile.inputs).filter((file) => !file.startsWith('node_modules/'));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The README's error table: `| 503 / 504 | `A` / `B`, `C` | … |` gives 503 A, 504 B and 504 C (statuses
 * and code groups pair up in order; the codes of a group share its status).
 */
function readmeReplies(readme: string): Replies {
  const table = readme.split('| status | code | when |')[1]?.split('\n\n')[0];
  if (!table) throw new Error('README.md has no "| status | code | when |" table');
  const found: Replies = [];
  for (const row of table
    .split('\n')
    .slice(2)
    .filter((line) => line.startsWith('|'))) {
    const [, statuses = '', codes = ''] = row.split('|').map((cell) => cell.trim());
    const groups = codes.split(' / ');
    statuses.split(' / ').forEach((status, i) => {
      for (const code of (groups[i] ?? '').split(','))
        found.push(reply(Number(status), code.trim().replaceAll('`', '')));
    });
  }
  return found;
}

const sorted = (replies: Replies) => [...new Set(replies)].sort();

describe('the README error table', () => {
  it('lists exactly the replies the query function can give', async () => {
    const fromCode = (await querySources()).flatMap((file) => repliesIn(readFileSync(file, 'utf8')));
    fromCode.push(reply(500, 'InternalError')); // any error that is not ours
    const readme = readmeReplies(readFileSync('README.md', 'utf8'));
    expect(sorted(readme)).toEqual(sorted(fromCode));
  });

  it('is read as documented: paired statuses and code groups', () => {
    const readme =
      '| status | code | when |\n|---|---|---|\n| 400 | `A`, `B` | x |\n| 503 / 504 | `C` / `D`, `E` | y |\n';
    expect(sorted(readmeReplies(readme))).toEqual(['400 A', '400 B', '503 C', '504 D', '504 E']);
  });

  it('finds the replies of each kind of error construction', () => {
    const source = `
      class RouteNotFound extends AppError { constructor(p) { super('NotFound', \`no route (\${p})\`, { statusCode: 404 }); } }
      class Bad extends InvalidInputError { constructor(m) { super(\`bad: \${m}\`, 'InvalidEvent'); } }
      throw new InvalidInputError('x', 'InvalidState');
      throw new InvalidInputError('no code given');
      throw new AppError('Busy', 'm', { statusCode: 503, expose: true, retryAfterMs: 5 });
      throw new AppError('Broken', 'm');
      return { statusCode: 429, code: 'UpstreamThrottled', message: 'm' };`;
    expect(sorted(repliesIn(source))).toEqual(
      sorted([
        '404 NotFound',
        '400 InvalidEvent',
        '400 InvalidState',
        '400 InvalidInput',
        '503 Busy',
        '500 InternalError',
        '429 UpstreamThrottled',
      ]),
    );
  });
});
