/**
 * The local runtime under test: the fixture s.yaml (test/fixtures/runtime) with its handlers built by
 * esbuild the way a deployment bundles them, started on a free port with timers off, every log line
 * and finished invocation recorded; plus requests signed for the FC 3.0 InvokeFunction path.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { InvocationRecord } from '#local/runtime/invocations.ts';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '#local/runtime/runtime.ts';
import { type Credentials, formatAcsDate, sign } from '#shared/signing/acs3.ts';

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/runtime/', import.meta.url));
export const FIXTURE_S_YAML = join(FIXTURE_DIR, 's.yaml');
export const FIXTURE_RESOURCES = ['echo', 'sleeper', 'thrower', 'ticker'] as const;

/** The functionName of a fixture resource (s.yaml prefixes them with `fixture-`). */
export const fixtureName = (resource: (typeof FIXTURE_RESOURCES)[number]) => `fixture-${resource}`;

/** Builds every fixture handler to `<dir>/<resource>/index.mjs` in a new temporary dir; the caller removes it. */
export async function buildFixtureBundles(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'runtime-fixture-'));
  await Promise.all(
    FIXTURE_RESOURCES.map((resource) =>
      build({
        entryPoints: [join(FIXTURE_DIR, 'functions', resource, 'handler.ts')],
        outfile: join(dir, resource, 'index.mjs'),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'silent',
      }),
    ),
  );
  return dir;
}

/** One of the runtime's own log lines (JSON, `"component":"fc-runtime"`). */
export interface RuntimeNotice {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** The runtime's own lines among everything printed (function output is left out). */
export function runtimeNotices(lines: readonly string[]): RuntimeNotice[] {
  return lines.flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as RuntimeNotice;
      return parsed.component === 'fc-runtime' ? [parsed] : [];
    } catch {
      return [];
    }
  });
}

export interface FixtureRuntime {
  runtime: LocalRuntime;
  /** Every line the runtime and the functions printed. */
  lines: string[];
  records: InvocationRecord[];
  /** The next (or an already recorded) invocation record matching `predicate`. */
  invocationEnded(predicate: (record: InvocationRecord) => boolean): Promise<InvocationRecord>;
}

export async function startFixtureRuntime(
  options: Partial<LocalRuntimeOptions> = {},
): Promise<FixtureRuntime> {
  const lines: string[] = [];
  const records: InvocationRecord[] = [];
  const waiters: {
    predicate: (record: InvocationRecord) => boolean;
    resolve: (r: InvocationRecord) => void;
  }[] = [];
  const dist = await buildFixtureBundles();
  const removeDist = () => rm(dist, { recursive: true, force: true });
  const runtime = await startLocalRuntime({
    sYamlPath: FIXTURE_S_YAML,
    timers: false,
    log: (line) => lines.push(line),
    onInvocation: (record) => {
      records.push(record);
      for (const waiter of waiters.filter((w) => w.predicate(record))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(record);
      }
    },
    ...options,
    templateEnv: { FIXTURE_DIST: dist, ...options.templateEnv },
  }).catch(async (error: unknown) => {
    await removeDist();
    throw error;
  });
  return {
    runtime: {
      ...runtime,
      close: async () => {
        await runtime.close();
        await removeDist();
      },
    },
    lines,
    records,
    invocationEnded: (predicate) =>
      new Promise((resolve) => {
        const seen = records.find(predicate);
        if (seen) resolve(seen);
        else waiters.push({ predicate, resolve });
      }),
  };
}

export interface Acs3Invoke {
  functionName: string;
  body: string;
  credentials: Credentials;
  async?: boolean;
  query?: Record<string, string>;
  /** More headers to send (and sign). */
  headers?: Record<string, string>;
  action?: string;
  /** Changes the signed headers before they are sent. */
  tamper?: (headers: Record<string, string>) => void;
  /** The body sent, when it must differ from the body signed. */
  sentBody?: string;
  /** The query sent, when it must differ from the query signed. */
  wireQuery?: string;
}

/** `POST /2023-03-30/functions/{name}/invocations`, signed with our ACS3 signer, sent with fetch. */
export async function acs3Invoke(runtime: LocalRuntime, call: Acs3Invoke): Promise<Response> {
  const pathname = `/2023-03-30/functions/${encodeURIComponent(call.functionName)}/invocations`;
  const headers = sign(
    {
      method: 'POST',
      pathname,
      query: call.query,
      headers: {
        host: new URL(runtime.url).host,
        'content-type': 'application/octet-stream',
        'x-acs-action': call.action ?? 'InvokeFunction',
        'x-acs-version': '2023-03-30',
        ...(call.async ? { 'x-fc-invocation-type': 'Async' } : {}),
        ...call.headers,
      },
      body: call.body,
    },
    call.credentials,
    { date: formatAcsDate(new Date()), nonce: randomUUID() },
  );
  call.tamper?.(headers);
  const wire = call.wireQuery ?? (call.query ? `${new URLSearchParams(call.query)}` : '');
  const query = wire ? `?${wire}` : '';
  return fetch(`${runtime.url}${pathname}${query}`, {
    method: 'POST',
    headers,
    body: call.sentBody ?? call.body,
  });
}
