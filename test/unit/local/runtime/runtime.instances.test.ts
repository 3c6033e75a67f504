/**
 * What a function's instances are like: FC-shaped context with fresh credentials per invocation, their
 * own environment and module state, FC's timeout (the worker is killed and replaced), thrown errors,
 * timer events; and source mode, which runs the TypeScript handlers with no build.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type IssuedCredentials, localCredentialsSource } from '#local/runtime/credentials.ts';
import type { StartedInstance } from '#local/runtime/localFunction.ts';
import type { InvocationOutcome } from '#local/runtime/outcome.ts';
import type { LocalRuntime } from '#local/runtime/runtime.ts';
import {
  type FixtureRuntime,
  fixtureName,
  runtimeNotices,
  startFixtureRuntime,
} from '#test/helpers/localRuntime.ts';

let fixture: FixtureRuntime;
let runtime: LocalRuntime;
const issued: IssuedCredentials[] = [];
const started: StartedInstance[] = [];

beforeAll(async () => {
  const local = localCredentialsSource();
  fixture = await startFixtureRuntime({
    env: { EXTRA: 'from the runtime options' },
    accountId: '5555555555555555',
    onInstanceStart: (instance) => started.push(instance),
    credentials: async () => {
      const credentials = await local();
      issued.push(credentials);
      return credentials;
    },
  });
  runtime = fixture.runtime;
});
afterAll(() => runtime.close());

/** The JSON a successful invocation returned. */
function resultOf<T = Record<string, unknown>>(outcome: InvocationOutcome): T {
  if (!outcome.ok || outcome.result.type !== 'json')
    throw new Error(`unexpected outcome ${JSON.stringify(outcome)}`);
  return JSON.parse(outcome.result.json) as T;
}

interface EchoResult {
  context: Record<string, unknown> & { credentials: { accessKeyId: string } };
  env: Record<string, unknown>;
  calls: number;
}

describe('the context', () => {
  it('is FC-shaped, with fresh credentials from the source for each invocation', async () => {
    const before = issued.length;
    const first = resultOf<EchoResult>(await runtime.invoke('echo', '1'));
    const second = resultOf<EchoResult>(await runtime.invoke('echo', '2'));
    expect(first.context).toEqual({
      requestId: expect.stringMatching(/^1-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{12}$/),
      credentials: {
        accessKeyId: expect.stringMatching(/^STS\./),
        accessKeySecret: expect.any(String),
        securityToken: expect.any(String),
      },
      function: { name: 'fixture-echo', handler: 'index.handler', memory: 256, timeout: 5 },
      service: { logProject: 'fixture-project', logStore: 'fixture-logs', qualifier: 'LATEST' },
      region: 'cn-hangzhou',
      accountId: '5555555555555555',
      retryCount: 0,
      tracing: { openTracingSpanBaggages: {} },
    });
    expect(second.context.requestId).not.toBe(first.context.requestId);
    expect(second.context.credentials.accessKeyId).not.toBe(first.context.credentials.accessKeyId);
    // One per invocation (plus one per instance started, for its ALIBABA_CLOUD_* variables).
    const asked = issued.slice(before).map((credentials) => credentials.accessKeyId);
    expect(asked).toContain(first.context.credentials.accessKeyId);
    expect(asked).toContain(second.context.credentials.accessKeyId);
  });

  it('holds no credentials for a function without a role, as on FC: {} and no ALIBABA_CLOUD_* variables', async () => {
    const before = issued.length;
    const outcome = await runtime.fireTimer(fixtureName('ticker'), 'every-5m');
    expect(resultOf(outcome as InvocationOutcome)).toMatchObject({
      credentials: {},
      credentialVariables: [],
    });
    // Nothing was minted for it either (nothing it could sign with, or be verified by).
    expect(issued.length).toBe(before);
  });

  it("has a logger that prints FC's line format", async () => {
    const outcome = await runtime.fireTimer(fixtureName('ticker'), 'every-5m');
    const line = new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${outcome?.requestId} \\[info\\] tick \\d+$`);
    // The worker's output comes through a stream: it may arrive after the result.
    await vi.waitFor(() => expect(fixture.lines).toContainEqual(expect.stringMatching(line)));
  });
});

describe('isolation', () => {
  it('gives each function its own environment: FC variables, s.yaml, overrides, nothing else', async () => {
    const echo = resultOf<EchoResult>(await runtime.invoke('echo', 'x'));
    expect(echo.env).toEqual({
      MARKER: 'echo',
      LEAK: 'set by echo',
      TICKER_FUNCTION: 'fixture-ticker',
      FC_FUNCTION_NAME: 'fixture-echo',
      FC_INSTANCE_ID: expect.any(String),
      EXTRA: 'from the runtime options',
      HOME_SET: process.env.HOME !== undefined,
      ALIBABA_CLOUD_ACCESS_KEY_ID: expect.stringMatching(/^STS\./),
    });
    // VITEST is set in this process, and not passed on.
    expect(process.env.VITEST).toBeDefined();
    // onInstanceStart is told the whole environment, the very one the instance got.
    const told = started.find((instance) => instance.env.FC_INSTANCE_ID === echo.env.FC_INSTANCE_ID);
    expect(told?.functionName).toBe('fixture-echo');
    expect(Object.keys(told?.env ?? {}).sort()).toEqual(
      [
        ...['FC_ACCOUNT_ID', 'FC_FUNCTION_HANDLER', 'FC_FUNCTION_MEMORY_SIZE', 'FC_FUNCTION_NAME'],
        ...['FC_FUNC_CODE_PATH', 'FC_INSTANCE_ID', 'FC_REGION', 'NODE_PATH'],
        ...['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALIBABA_CLOUD_SECURITY_TOKEN'],
        ...['MARKER', 'TICKER_FUNCTION', 'EXTRA'],
        ...['PATH', 'HOME', 'LANG', 'TMPDIR'].filter((name) => process.env[name] !== undefined),
      ].sort(),
    );
    const ticker = resultOf<{ marker: string; leak: string | null }>(
      (await runtime.fireTimer(fixtureName('ticker'), 'every-5m')) as InvocationOutcome,
    );
    expect(ticker).toMatchObject({ marker: 'ticker', leak: null });
  });

  it('keeps module state on a warm instance', async () => {
    const { calls } = resultOf<EchoResult>(await runtime.invoke('echo', 'a'));
    expect(resultOf<EchoResult>(await runtime.invoke('echo', 'b')).calls).toBe(calls + 1);
  });
});

describe('timeouts and errors', () => {
  it("times out with FC's error, and replaces the instance", async () => {
    const before = resultOf<{ instance: string }>(await runtime.invoke('sleeper', '{}')).instance;
    const started = Date.now();
    const timedOut = await runtime.invoke('sleeper', '{"ms":5000}');
    expect(Date.now() - started).toBeLessThan(2500);
    expect(timedOut).toMatchObject({
      ok: false,
      error: { errorMessage: 'Function timed out after 1 seconds' },
    });
    const after = resultOf<{ instance: string; calls: number }>(await runtime.invoke('sleeper', '{}'));
    expect(after).toEqual({ instance: expect.any(String), calls: 1 });
    expect(after.instance).not.toBe(before);
  });

  it('stops a busy loop too', async () => {
    const timedOut = await runtime.invoke('sleeper', '{"ms":10000,"spin":true}');
    expect(timedOut).toMatchObject({
      ok: false,
      error: { errorMessage: 'Function timed out after 1 seconds' },
    });
    expect(resultOf(await runtime.invoke('sleeper', '{}'))).toMatchObject({ calls: 1 });
  });

  it('replaces an instance whose process exits during an invocation', async () => {
    const exited = await runtime.invoke('sleeper', '{"exit":3}');
    expect(exited).toMatchObject({
      ok: false,
      error: { errorMessage: 'The function instance stopped unexpectedly: the worker exited with code 3' },
    });
    expect(resultOf(await runtime.invoke('sleeper', '{}'))).toMatchObject({ calls: 1 });
  });

  it('survives a function that throws after answering, and replaces its instance', async () => {
    const crashing = resultOf<{ instance: string }>(await runtime.invoke('sleeper', '{"crashLater":true}'));
    await vi.waitFor(() =>
      expect(runtimeNotices(fixture.lines)).toContainEqual(
        expect.objectContaining({
          level: 'error',
          msg: 'instance crashed',
          function: 'fixture-sleeper',
          error: expect.objectContaining({ message: 'thrown from a stray timer' }),
        }),
      ),
    );
    const next = resultOf<{ instance: string }>(await runtime.invoke('sleeper', '{}'));
    expect(next.instance).not.toBe(crashing.instance);
  });

  it("turns a thrown error into FC's error shape, and logs it", async () => {
    const outcome = await runtime.invoke('thrower', '');
    expect(outcome).toEqual({
      requestId: expect.any(String),
      ok: false,
      error: { errorMessage: 'boom from thrower', errorType: 'TypeError', stackTrace: expect.any(Array) },
      logs: '',
    });
    expect(runtimeNotices(fixture.lines)).toContainEqual({
      time: expect.any(String),
      level: 'warn',
      msg: 'invocation failed',
      component: 'fc-runtime',
      function: 'fixture-thrower',
      requestId: outcome.requestId,
      source: 'invoke',
      async: false,
      failure: 'boom from thrower',
    });
  });
});

describe('timer triggers', () => {
  it("fires with FC's timer event", async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const outcome = await runtime.fireTimer('ticker', 'every-5m');
    const { event } = resultOf<{ event: { triggerTime: string } }>(outcome as InvocationOutcome);
    expect(event).toEqual({
      triggerTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      triggerName: 'every-5m',
      payload: '{"job":"sweep"}',
    });
    expect(Date.parse(event.triggerTime)).toBeGreaterThanOrEqual(before);
    expect(fixture.records.find((record) => record.requestId === outcome?.requestId)).toMatchObject({
      source: 'timer',
      async: true,
    });
  });

  it('fires a disabled one by hand too, and refuses an unknown one', async () => {
    expect(await runtime.fireTimer('fixture-ticker', 'paused')).toMatchObject({ ok: true });
    await expect(runtime.fireTimer('fixture-ticker', 'nope')).rejects.toThrow(/no timer trigger nope/);
    await expect(runtime.fireTimer('fixture-echo', 'http')).rejects.toThrow(/no timer trigger http/);
  });
});

describe('start-up and failures', () => {
  it('runs the TypeScript sources in source mode, #shared aliases included', async () => {
    const source = await startFixtureRuntime({ mode: 'source' });
    try {
      const answer = resultOf<{ at: string; event: string }>(
        await source.runtime.invoke('echo', 'from source'),
      );
      expect(answer).toMatchObject({ event: 'from source', at: '1970-01-01T00:00:00Z' });
      const http = await fetch(`${source.runtime.url}/shape/object`);
      expect(await http.json()).toEqual({ hello: 'world' });
    } finally {
      await source.runtime.close();
    }
  });

  it('refuses to start without the bundles, saying what to do', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'no-bundles-'));
    try {
      await expect(startFixtureRuntime({ templateEnv: { FIXTURE_DIST: empty } })).rejects.toThrow(
        /echo \(fixture-echo\): no bundle at .*echo\/index\.mjs or .*index\.js; build first .* or use source mode/,
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('answers 500 InternalServerError when the credentials source fails', async () => {
    const broken = await startFixtureRuntime({
      credentials: async () => {
        throw new Error('emulator down');
      },
    });
    try {
      const response = await fetch(`${broken.runtime.url}/invoke/echo`, { method: 'POST', body: 'x' });
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({
        Code: 'InternalServerError',
        Message: expect.stringContaining('emulator down'),
      });
    } finally {
      await broken.runtime.close();
    }
  });
});

describe('instances under concurrency (each test its own runtime)', () => {
  const twoAtOnce = (target: LocalRuntime) =>
    Promise.all([target.invoke('sleeper', '{"ms":150}'), target.invoke('sleeper', '{"ms":150}')]).then(
      (outcomes) => outcomes.map((outcome) => resultOf<{ instance: string; calls: number }>(outcome)),
    );

  it('runs concurrent invocations on separate instances', async () => {
    const { runtime: fresh } = await startFixtureRuntime();
    try {
      const [a, b] = await twoAtOnce(fresh);
      expect(a?.instance).not.toBe(b?.instance);
    } finally {
      await fresh.close();
    }
  });

  it('makes them wait for a free instance beyond maxInstancesPerFunction', async () => {
    const { runtime: single } = await startFixtureRuntime({ maxInstancesPerFunction: 1 });
    try {
      const answers = await twoAtOnce(single);
      expect(answers[0]?.instance).toBe(answers[1]?.instance);
      expect(answers.map((answer) => answer.calls).sort()).toEqual([1, 2]);
    } finally {
      await single.close();
    }
  });
});
