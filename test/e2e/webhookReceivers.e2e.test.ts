/**
 * The README's webhook receivers in Python and Java, taken from README.md as printed there (so the README
 * cannot drift from what is tested), each run as its own process on a loopback port: it must verify a
 * real delivery from the local sweeper (its `NOTIFY_URL`), act once per idempotency key, and refuse what
 * our own signer signed wrongly. Needs `python3` and a JDK 17+ (`npm test`'s setup installs both on
 * Debian/Ubuntu when missing).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/cli/cliSupport.ts';
import { type LocalStack, startLocalStack } from '#local/stack.ts';
import { IDEMPOTENCY_HEADER } from '#shared/notify/payload.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from '#shared/notify/webhook.ts';
import { root } from '#test/helpers/tsxProcess.ts';

const SECRET = 'receiver-test-secret-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'e2e-webhook-receivers-'));

/** The first ```language block of the README's "Verifying in other languages". */
function readmeSnippet(language: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n### Verifying in other languages\n'));
  const block = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'm').exec(section)?.[1];
  if (!block) throw new Error(`no ${language} block under "Verifying in other languages" in README.md`);
  return block;
}

const RECEIVERS = [
  { language: 'python', file: 'receiver.py', command: 'python3' },
  // The single-file source launcher, as the README says to run it: it compiles once, at start.
  { language: 'java', file: 'Receiver.java', command: 'java' },
] as const;
type Language = (typeof RECEIVERS)[number]['language'];

interface Receiver {
  /** Where it is reached, and what it verifies signatures for (its RECEIVER_URL). */
  url: string;
  /** Its stdout, a line at a time. */
  lines: string[];
  stderr(): string;
  exited(): boolean;
}

const children: ChildProcess[] = [];

function startReceiver(spec: (typeof RECEIVERS)[number], port: number): Receiver {
  const file = join(dir, spec.file);
  writeFileSync(file, readmeSnippet(spec.language));
  // A query string, which the signature covers, as a token in a real receiver's URL would be.
  const url = `http://127.0.0.1:${port}/aicontent?token=abc`;
  const child = spawn(spec.command, [file], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), NOTIFY_WEBHOOK_SECRET: SECRET, RECEIVER_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.on('error', (error) => {
    stderr += `${error.message}\n`;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return {
    url,
    lines,
    stderr: () => stderr,
    exited: () => child.exitCode !== null || child.signalCode !== null,
  };
}

/** Waits for `check` to hold, checking every 50 ms; fails, with the receiver's stderr, after `ms`. */
async function until(receiver: Receiver, check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (receiver.exited() || Date.now() > deadline) {
      throw new Error(`${what}: not seen; the receiver's stderr:\n${receiver.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Craft {
  key: string;
  secret?: string;
  /** The URL signed for, from the receiver's. */
  signedUrl?: (url: string) => string;
  timestamp?: string;
  /** The body sent, when it is not the one signed. */
  sentBody?: (signed: string) => string;
  /** The signature header sent, from the right `v2=` entry; undefined sends none. */
  signature?: (v2: string) => string | undefined;
}

/** A notification signed by the project's own signer (rightly, unless told otherwise); its status. */
async function send(receiver: Receiver, craft: Craft): Promise<number> {
  const body = JSON.stringify({
    jobId: craft.key.split(':')[0],
    state: 'succeeded',
    idempotencyKey: craft.key,
  });
  const timestamp = craft.timestamp ?? String(Math.floor(Date.now() / 1000));
  const signedUrl = craft.signedUrl?.(receiver.url) ?? receiver.url;
  const v2 = webhookSignature(craft.secret ?? SECRET, timestamp, signedUrl, body);
  const signature = craft.signature ? craft.signature(v2) : v2;
  const response = await fetch(receiver.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [TIMESTAMP_HEADER]: timestamp,
      [IDEMPOTENCY_HEADER]: craft.key,
      ...(signature === undefined ? {} : { [SIGNATURE_HEADER]: signature }),
    },
    body: craft.sentBody ? craft.sentBody(body) : body,
  });
  await response.arrayBuffer();
  return response.status;
}

let barriers = 0;
/**
 * A fresh, rightly signed notification, once its line is printed: a line for anything sent before it
 * would be printed before it (stdout keeps order), so what has not printed by then never will.
 */
async function barrier(receiver: Receiver): Promise<void> {
  const key = `barrier-${++barriers}:succeeded`;
  expect(await send(receiver, { key })).toBe(204);
  await until(receiver, () => receiver.lines.includes(`verified ${key}`), `verified ${key}`);
}

const started = new Map<Language, Receiver>();

// Both start at once: the JVM's start (compiling the file too) overlaps the Python receiver's tests.
beforeAll(async () => {
  for (const spec of RECEIVERS) started.set(spec.language, startReceiver(spec, await freePort()));
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe.each(RECEIVERS)("the README's $language receiver", ({ language }) => {
  let receiver: Receiver;
  let stack: LocalStack;

  beforeAll(async () => {
    receiver = started.get(language) as Receiver;
    await until(receiver, () => receiver.lines.includes(`listening on ${receiver.url}`), 'listening', 45_000);
    stack = await startLocalStack({
      port: 0,
      emulatorPort: 0,
      timers: false,
      jobStoreUrl: `file:${join(dir, `${language}.db`)}`,
      env: {
        NOTIFY_URL: receiver.url,
        NOTIFY_WEBHOOK_SECRET: SECRET,
        POLL_INTERVAL_SECONDS: '1',
        MAX_POLL_INTERVAL_SECONDS: '1',
        POLL_JITTER: 'none',
      },
      log: () => {},
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('verifies the notification the sweeper delivers, which is then recorded as sent', async () => {
    const id = stack.emulator.createJob({ schedule: { waitScheduleMs: 0, inferringMs: 0 } });
    const tracked = await fetch(`${stack.runtime.url}/jobs`, {
      method: 'POST',
      body: JSON.stringify({ inferenceJobId: id }),
    });
    expect(tracked.status).toBe(202);

    const line = `verified ${id}:succeeded`;
    const deadline = Date.now() + 15_000;
    while (!receiver.lines.includes(line) && Date.now() < deadline) {
      await stack.runtime.fireTimer('aicontent-jobs-sweeper', 'sweep');
      if (!receiver.lines.includes(line)) await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(receiver.lines).toContain(line);

    const listed = await fetch(`${stack.runtime.url}/jobs?state=succeeded`).then(
      (response) => response.json() as Promise<{ jobs: { id: string; notification: string }[] }>,
    );
    expect(listed.jobs.find((job) => job.id === id)?.notification).toBe('sent');
  }, 30_000);

  it('acts once per idempotency key, and takes a v2 entry beside entries it does not know', async () => {
    const key = 'twice:succeeded';
    expect(await send(receiver, { key, signature: (v2) => `v1=${'0'.repeat(64)}, ${v2},v3=abc` })).toBe(204);
    expect(await send(receiver, { key })).toBe(204);
    await barrier(receiver);
    expect(receiver.lines.filter((line) => line === `verified ${key}`)).toHaveLength(1);
  });

  const minutes = (n: number) => String(Math.floor(Date.now() / 1000) + n * 60);
  it.each<[string, Omit<Craft, 'key'>]>([
    ['signed with another secret', { secret: 'another-secret-0123456789' }],
    ['with a body changed after signing', { sentBody: (body) => body.replace('"succeeded"', '"failed"') }],
    ['with a timestamp over 300 s old', { timestamp: minutes(-6) }],
    ['with a timestamp over 300 s ahead', { timestamp: minutes(6) }],
    ['with a timestamp not in whole seconds', { timestamp: `${minutes(0)}.0` }],
    ['signed for another URL', { signedUrl: (url) => url.replace('/aicontent?', '/other?') }],
    ['signed for its URL without the query', { signedUrl: (url) => url.replace(/\?.*/, '') }],
    ['with no signature', { signature: () => undefined }],
    ['with only a scheme it does not know', { signature: (v2) => v2.replace(/^v2=/, 'v3=') }],
  ])('refuses a notification %s (401), and acts on nothing', async (_, craft) => {
    const before = receiver.lines.length;
    expect(await send(receiver, { ...craft, key: 'refused:succeeded' })).toBe(401);
    await barrier(receiver);
    expect(receiver.lines.slice(before)).toEqual([`verified barrier-${barriers}:succeeded`]);
  });
});
