/**
 * Every reference to the repository points at something in it: the paths the documents name in
 * backticks (`shared/jobs/sweep.ts`, `docs/aicontent-api.md §3.2`) and link to (`[…](fc-runtime.md#5-…)`),
 * and the paths and fact-sheet sections the code's comments cite. A file renamed or a section
 * renumbered fails here, naming the stale reference, instead of leaving a newcomer to find it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The repository's top-level folders a reference may start with. */
const ROOTS = '(?:functions|shared|local|scripts|bench|test|docs|ram)';

/** The documents, each read as a newcomer reads it. */
const DOCUMENTS = [
  'README.md',
  'bench/README.md',
  'local/runtime/README.md',
  'test/fixtures/README.md',
  ...readdirSync('docs')
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** The folders whose files' comments may cite the repository, and the kinds of files read there. */
const SOURCE_FOLDERS = ['functions', 'shared', 'local', 'scripts', 'bench', 'test'];
const SOURCE_FILE = /\.(ts|mjs|js|yaml|sh)$/;
/** This file names missing paths on purpose, to show what the checks catch. */
const THIS_FILE = 'test/unit/docs.test.ts';

/**
 * A document without its "Sources" section: the paths there (`docs/zh/yaml.md`) are in the sources'
 * own repositories, not in ours.
 */
function documentText(path: string): string {
  return readFileSync(path, 'utf8').split(/\n## Sources\n/)[0] as string;
}

/** A backticked repository path, maybe with `:line:column` or ` §section` after it. */
const PATH_SPAN = new RegExp(`^(${ROOTS}/[\\w./-]*?)(?::\\d+(?::\\d+)?)?(?:\\s+§\\s*(\\d+(?:\\.\\d+)*))?$`);

interface Reference {
  /** Where the reference is written. */
  in: string;
  path: string;
  /** A fact sheet's section number, or a heading's anchor, when the reference names one. */
  section?: string | undefined;
  anchor?: string | undefined;
}

/** The repository paths a document names in backticks. */
function spanReferences(document: string): Reference[] {
  const found: Reference[] = [];
  for (const [, span] of documentText(document).matchAll(/`([^`\n]+)`/g)) {
    const match = PATH_SPAN.exec(span as string);
    if (match) found.push({ in: document, path: match[1] as string, section: match[2] });
  }
  return found;
}

/** The files a document links to by a relative URL, resolved from the document's folder. */
function linkReferences(document: string): Reference[] {
  const found: Reference[] = [];
  for (const [, target] of documentText(document).matchAll(/\]\(([^)\s]+)\)/g)) {
    const [file, anchor] = (target as string).split('#');
    if (/^[a-z]+:/i.test(target as string) || !file) continue; // a URL, or an anchor in the same document
    found.push({ in: document, path: normalize(join(dirname(document), file)), anchor });
  }
  return found;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return SOURCE_FILE.test(entry.name) && path !== THIS_FILE ? [path] : [];
  });
}

/**
 * The repository paths a source file names, with a fact sheet's section when one follows
 * (`docs/fc-runtime.md §5`). Not part of a longer path or URL (`…/docs/zh/yaml.md`), and never a
 * pattern (`functions/<name>/handler.ts`, `test/**`).
 */
const SOURCE_PATH = new RegExp(
  `(?<![\\w./-])(${ROOTS}/[\\w./-]*\\.(?:ts|mjs|js|md|json|yaml|sh|html|css|png))\\b(?:[^\\S\\n]+§\\s*(\\d+(?:\\.\\d+)*))?`,
  'g',
);

function sourceReferences(file: string): Reference[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(SOURCE_PATH)].map(([, path, section]) => ({
    in: file,
    path: path as string,
    section,
  }));
}

/** The section numbers of a fact sheet's headings: `## 1. The query action` → `1`, `### 3.2 …` → `3.2`. */
function sectionsOf(path: string): Set<string> {
  const headings = readFileSync(path, 'utf8').matchAll(/^#{2,4} (\d+(?:\.\d+)*)\.? /gm);
  return new Set([...headings].map(([, number]) => number as string));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as `-`. */
function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(path: string): Set<string> {
  const headings = readFileSync(path, 'utf8').matchAll(/^#{1,6} (.+)$/gm);
  return new Set([...headings].map(([, heading]) => headingAnchor(heading as string)));
}

/** What is wrong with a reference, or undefined when it points at something that exists. */
function problem(reference: Reference): string | undefined {
  const where = `${reference.in}: ${reference.path}`;
  if (!existsSync(reference.path)) return `${where} does not exist`;
  if (reference.section !== undefined && !sectionsOf(reference.path).has(reference.section)) {
    return `${where} has no section §${reference.section}`;
  }
  if (reference.anchor !== undefined && !anchorsOf(reference.path).has(reference.anchor)) {
    return `${where} has no heading #${reference.anchor}`;
  }
  return undefined;
}

const problems = (references: Reference[]) => references.map(problem).filter((text) => text !== undefined);

describe('references to the repository', () => {
  it('the documents name only paths and sections that exist', () => {
    const references = DOCUMENTS.flatMap((document) => [
      ...spanReferences(document),
      ...linkReferences(document),
    ]);
    expect(references.length).toBeGreaterThan(100);
    expect(problems(references)).toEqual([]);
  });

  it('the code cites only paths and fact-sheet sections that exist', () => {
    const references = [...SOURCE_FOLDERS.flatMap(sourceFiles), 's.yaml'].flatMap(sourceReferences);
    expect(references.filter((reference) => reference.section !== undefined).length).toBeGreaterThan(10);
    expect(problems(references)).toEqual([]);
  });

  it('docs/ARCHITECTURE.md names where to change each thing the issue asks for', () => {
    const text = readFileSync('docs/ARCHITECTURE.md', 'utf8');
    for (const heading of [
      'A new notify target kind',
      'A new job store',
      'A new aicontent action',
      'A new setting',
    ]) {
      expect(text).toContain(`### ${heading}`);
    }
  });
});

describe('headingAnchor', () => {
  it.each([
    ['5. Gateway (POP) errors, and what we retry', '5-gateway-pop-errors-and-what-we-retry'],
    ['7. `s.yaml` (Serverless Devs 3, component `fc3`)', '7-syaml-serverless-devs-3-component-fc3'],
    ['3. The V3 signature (ACS3-HMAC-SHA256)', '3-the-v3-signature-acs3-hmac-sha256'],
  ])('%s → %s', (heading, anchor) => {
    expect(headingAnchor(heading)).toBe(anchor);
  });
});

describe('the reference checks', () => {
  it('catch a missing file, a missing section and a missing heading', () => {
    expect(problem({ in: 'x.md', path: 'shared/nothing.ts' })).toBe('x.md: shared/nothing.ts does not exist');
    expect(problem({ in: 'x.md', path: 'docs/fc-runtime.md', section: '42' })).toBe(
      'x.md: docs/fc-runtime.md has no section §42',
    );
    expect(problem({ in: 'x.md', path: 'docs/fc-runtime.md', anchor: 'no-such-heading' })).toBe(
      'x.md: docs/fc-runtime.md has no heading #no-such-heading',
    );
    expect(problem({ in: 'x.md', path: 'docs/fc-runtime.md', section: '4.2' })).toBeUndefined();
  });

  it('leave out URLs, patterns and the sources of a fact sheet', () => {
    const text = 'see https://example.com/docs/zh/yaml.md and `functions/<name>/handler.ts`';
    expect([...text.matchAll(SOURCE_PATH)]).toEqual([]);
    expect(PATH_SPAN.exec('functions/<name>/handler.ts')).toBeNull();
    expect(documentText('docs/fc-runtime.md')).not.toContain('docs/zh/yaml.md');
  });
});
