/**
 * The deployment rehearsal: what `s deploy` would upload, run as FC runs it, with nothing that exists
 * only for local runs.
 *
 * - The bundles are built for FC (`buildAll({ local: false })`) next to a byte-for-byte copy of the
 *   shipped s.yaml, whose `code: ./dist/<fn>` paths are relative: the runtime runs exactly what `s deploy`
 *   uploads, in bundle mode (plain Node 20 ESM, each function from its own copy of its code package).
 * - s.yaml is evaluated with exactly a deployer's variables, the ones the preflight passed (README
 *   "Deploying", with a short sweep schedule and poll interval so the test takes seconds), plus the
 *   stand-ins for the cloud listed in `cloudStandIns`, and nothing else: the runtime adds no variable of
 *   its own (`env` is empty), so no JOB_STORE_ALLOW_LOCAL_DISK, no NOTIFY_ALLOW_HTTP.
 * - The job store is a real redis-server, with the deployer's password; the only change to the
 *   deployer's JOB_STORE_URL is its address (the network's part: where the VPC endpoint's name leads).
 * - The query function's trigger keeps s.yaml's default `authType: function`: every call is signed with
 *   the project's signer (`callTrigger`), and the runtime checks the signature as FC's gateway does.
 * - The loop runs on its own: track (signed `POST /jobs`) → the sweeper's timer → the sweeper's FC 3.0
 *   InvokeFunction (signed with its role's STS credentials) → on-job-done, which has no role, runs once.
 *
 * Negative checks show that no part works only thanks to a local leniency: unsigned and badly signed
 * calls are refused, an http webhook is refused, each function's environment is s.yaml's plus FC's own,
 * the bundles carry no native module, and the embedded store is refused (and could not load even if
 * allowed).
 */
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '#local/cli/cliSupport.ts';
import { callTrigger } from '#local/cli/triggerClient.ts';
import { type Emulator, startEmulator } from '#local/emulator/emulator.ts';
import type { InvocationRecord } from '#local/runtime/invocations.ts';
import type { StartedInstance } from '#local/runtime/localFunction.ts';
import type { InvocationOutcome } from '#local/runtime/outcome.ts';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '#local/runtime/runtime.ts';
import { type FunctionDefinition, loadServerlessYaml } from '#local/runtime/serverlessYaml.ts';
import type { JobStore } from '#shared/jobs/jobStore.ts';
import { FC_PROVIDED, SETTINGS, type Setting } from '#shared/settings.ts';
import { createRedisStore } from '#shared/stores/redis/store.ts';
import { DEPLOYABLE_ENV, projectSYaml } from '#test/helpers/deployment.ts';
import { acs3Invoke } from '#test/helpers/localRuntime.ts';
import { type RedisServer, startRedis } from '#test/helpers/redisServer.ts';
import { root } from '#test/helpers/tsxProcess.ts';
import { buildAll } from '../../scripts/build.ts';
import { preflight } from '../../scripts/preflight.ts';

/**
 * What a deployer sets (README "Deploying": the store, its network, the default notify target), plus
 * two settings a deployer may choose, short so that the loop takes seconds: a sweep every second (a
 * 6-field cron, as the README documents SWEEP_SCHEDULE) and a 1 s first poll interval.
 */
const DEPLOYER_ENV: Readonly<Record<string, string>> = {
  ...DEPLOYABLE_ENV,
  SWEEP_SCHEDULE: '* * * * * *',
  POLL_INTERVAL_SECONDS: '1',
};

/** The job store's password in DEPLOYABLE_ENV: the test's redis-server requires it. */
const STORE_PASSWORD = decodeURIComponent(new URL(DEPLOYER_ENV.JOB_STORE_URL as string).password);

/**
 * The one change to the deployer's JOB_STORE_URL: the address. On FC the instance's VPC endpoint name
 * leads to Redis/Tair; here the same URL (scheme, password, database) leads to the loopback server.
 */
function reachedOverLoopback(deployed: string, server: RedisServer): string {
  const url = new URL(deployed);
  const local = new URL(server.url);
  url.hostname = local.hostname;
  url.port = local.port;
  return url.href;
}

/**
 * Stand-ins for the cloud itself, and nothing else. Each replaces the value of a variable s.yaml
 * already passes (none adds a name):
 * - AICONTENT_ENDPOINT: aicontent's public endpoint → the aicontent emulator;
 * - NOTIFY_FC_ENDPOINT: FC's API endpoint for InvokeFunction (unset, `<account>.<region>-internal.fc.aliyuncs.com`)
 *   → this runtime, which serves FC 3.0's InvokeFunction and checks its signature;
 * - JOB_STORE_URL: the store's address (see `reachedOverLoopback`).
 * Besides these, the runtime gives the functions what FC gives them: its `FC_*` variables, and STS
 * credentials of the function's role (minted by the emulator, so that it accepts the functions' calls)
 * to functions that have one.
 */
function cloudStandIns(emulator: Emulator, runtimePort: number, redis: RedisServer): Record<string, string> {
  return {
    AICONTENT_ENDPOINT: emulator.url,
    NOTIFY_FC_ENDPOINT: `http://127.0.0.1:${runtimePort}`,
    JOB_STORE_URL: reachedOverLoopback(DEPLOYER_ENV.JOB_STORE_URL as string, redis),
  };
}

/** What a process needs, which FC's instances have too; NODE_PATH: the modules FC's runtime provides. */
const PROCESS_BASICS = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'NODE_PATH'];

/** Local-only switches: set by `npm start`, never in a deployment (one more is coming on another branch). */
const LOCAL_ONLY = Object.entries(SETTINGS).flatMap(([name, setting]) =>
  (setting as Setting).local ? [name] : [],
);

let work: string;
let sYamlPath: string;
let redis: RedisServer;
let emulator: Emulator;
let runtime: LocalRuntime;
let store: JobStore;
let standIns: Record<string, string>;
/** s.yaml as the deployer's variables make it: what FC would run. */
let deployed: Map<string, FunctionDefinition>;
const lines: string[] = [];
const records: InvocationRecord[] = [];
const instances: StartedInstance[] = [];
let setupMs = 0;

/** The runtime options every run here shares: bundle mode, the copy of s.yaml, no variable of its own. */
function rehearsalOptions(templateEnv: Record<string, string>): LocalRuntimeOptions {
  return {
    sYamlPath,
    mode: 'bundle',
    templateEnv,
    env: {},
    callerKey: { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret },
    credentials: async () => emulator.mintStsCredentials(),
  };
}

beforeAll(async () => {
  const started = Date.now();
  work = await mkdtemp(join(tmpdir(), 'deployment-rehearsal-'));
  sYamlPath = join(work, 's.yaml');
  await buildAll({ root: join(work, 'dist'), local: false });
  await copyFile(join(root, 's.yaml'), sYamlPath);
  redis = await startRedis({ args: ['--requirepass', STORE_PASSWORD] });
  emulator = await startEmulator({ port: 0 });
  const port = await freePort();
  standIns = cloudStandIns(emulator, port, redis);
  deployed = new Map(
    (await loadServerlessYaml(sYamlPath, DEPLOYER_ENV)).functions.map((fn) => [fn.functionName, fn]),
  );
  runtime = await startLocalRuntime({
    ...rehearsalOptions({ ...DEPLOYER_ENV, ...standIns }),
    port,
    timers: true,
    log: (line) => lines.push(line),
    onInvocation: (record) => records.push(record),
    onInstanceStart: (instance) => instances.push(instance),
  });
  store = createRedisStore({ url: standIns.JOB_STORE_URL as string, prefix: 'aicontent-jobs:' });
  setupMs = Date.now() - started;
}, 90_000);

afterAll(async () => {
  await runtime?.close();
  await store?.close();
  await emulator?.close();
  await redis?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A call to the query function's trigger, signed as `authType: function` wants, with `secret` if given. */
function signedCall(method: string, path: string, body?: unknown, secret = emulator.accessKeySecret) {
  return callTrigger(
    {
      method,
      url: new URL(path, runtime.url),
      body: body === undefined ? undefined : JSON.stringify(body),
      contentType: body === undefined ? undefined : 'application/json',
    },
    { credentials: () => ({ accessKeyId: emulator.accessKeyId, accessKeySecret: secret }) },
  );
}

/** The JSON lines the functions and the runtime printed, parsed. */
function logEntries(): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    try {
      const entry: unknown = JSON.parse(line);
      return typeof entry === 'object' && entry !== null ? [entry as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

/** Polls `probe` until it gives something, for up to `timeout` ms (robust on a loaded machine). */
function eventually<T>(what: string, probe: () => T | undefined, timeout = 30_000): Promise<T> {
  return vi.waitFor(
    () => {
      const value = probe();
      if (value === undefined) throw new Error(`still waiting for ${what}`);
      return value;
    },
    { timeout, interval: 50 },
  );
}

describe('what is deployed', () => {
  it("runs the shipped s.yaml, byte for byte, with the deployer's variables, which pass the preflight", async () => {
    const shipped = projectSYaml();
    expect(await readFile(sYamlPath, 'utf8')).toBe(shipped);
    expect(preflight(DEPLOYER_ENV, shipped, sYamlPath).problems).toEqual([]);
    // The store's address is why the substitution comes after the preflight: it refuses a loopback store.
    expect(preflight({ ...DEPLOYER_ENV, ...standIns }, shipped, sYamlPath).problems).toContainEqual(
      expect.objectContaining({ variable: 'JOB_STORE_URL' }),
    );
    // Every stand-in replaces a value s.yaml passes; none adds a variable.
    for (const name of Object.keys(standIns)) {
      expect([...deployed.values()].some((fn) => name in fn.environmentVariables)).toBe(true);
    }
    // The trigger keeps s.yaml's default, enforced: the deployer set no HTTP_AUTH_TYPE.
    expect(DEPLOYER_ENV).not.toHaveProperty('HTTP_AUTH_TYPE');
    const query = runtime.functions.find((fn) => fn.resourceName === 'query');
    expect(query?.triggers).toContainEqual(expect.objectContaining({ type: 'http', authType: 'function' }));
    expect(runtime.rootFunction).toBe('aicontent-jobs-query');
    // on-job-done has no role, as shipped.
    expect(deployed.get('aicontent-jobs-on-job-done')?.role).toBeUndefined();
  });

  it('ships plain ESM bundles with no native module: nothing but .mjs and source maps', async () => {
    const files = await readdir(join(work, 'dist'), { recursive: true, withFileTypes: true });
    const shipped = files
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
    expect(shipped.filter((file) => !/\.mjs(\.map)?$/.test(file))).toEqual([]);
    expect(shipped.some((file) => file.split(sep).includes('node_modules'))).toBe(false);
    for (const fn of deployed.values()) expect(shipped).toContain(join(fn.codeDir, 'index.mjs'));
  });
});

describe('the signed trigger', () => {
  it('refuses an unsigned call and a badly signed one, and tracks nothing for them', async () => {
    const id = emulator.createJob({ schedule: { waitScheduleMs: 60_000 } });
    const unsigned = await fetch(`${runtime.url}/jobs`, {
      method: 'POST',
      body: JSON.stringify({ inferenceJobId: id }),
    });
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({ Code: 'MissingRequiredHeader' });
    const forged = await signedCall('POST', '/jobs', { inferenceJobId: id }, 'NotTheSecret');
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.text)).toMatchObject({ Code: 'SignatureNotMatch' });
    expect(await store.get(id)).toBeNull();
  });

  it('refuses an http webhook as FC would: no NOTIFY_ALLOW_HTTP', async () => {
    const id = emulator.createJob({ schedule: { waitScheduleMs: 60_000 } });
    const answer = await signedCall('POST', '/jobs', {
      inferenceJobId: id,
      notify: { url: 'http://127.0.0.1:9/hook' },
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({ error: { code: 'InvalidNotifyTarget' } });
    expect(await store.get(id)).toBeNull();
  });
});

describe('InvokeFunction, as the sweeper reaches on-job-done', () => {
  it('refuses an unsigned call and a badly signed one, and runs nothing for them', async () => {
    const unsigned = await fetch(
      `${runtime.url}/2023-03-30/functions/aicontent-jobs-on-job-done/invocations`,
      {
        method: 'POST',
        headers: { 'x-fc-invocation-type': 'Async' },
        body: '{}',
      },
    );
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({ Code: 'MissingRequiredHeader' });
    const forged = await acs3Invoke(runtime, {
      functionName: 'aicontent-jobs-on-job-done',
      body: '{}',
      async: true,
      credentials: { accessKeyId: emulator.accessKeyId, accessKeySecret: 'NotTheSecret' },
    });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ Code: 'SignatureNotMatch' });
    expect(records.filter((record) => record.functionName === 'aicontent-jobs-on-job-done')).toEqual([]);
  });
});

describe('the loop, on its own', () => {
  it('tracks over the signed trigger; the timer sweeps; InvokeFunction runs on-job-done exactly once', async () => {
    const started = Date.now();
    const id = emulator.createJob({ schedule: { waitScheduleMs: 300, inferringMs: 700 } });
    const tracked = await signedCall('POST', '/jobs', { inferenceJobId: id });
    expect(tracked.status).toBe(202);
    expect(JSON.parse(tracked.text)).toMatchObject({ created: true, tracking: { id, state: 'pending' } });
    expect(await store.get(id)).toMatchObject({ id, state: 'pending' });

    const isDone = (record: InvocationRecord) => record.functionName === 'aicontent-jobs-on-job-done';
    const done = await eventually('on-job-done', () => records.find(isDone));
    expect(done).toMatchObject({ source: 'invoke', async: true, outcome: { ok: true } });
    const loopMs = Date.now() - started;

    // Two more ticks after it: the store says the news was sent, and no sweep sends it again.
    const after = records.indexOf(done);
    const sweepsAfter = () =>
      records
        .slice(after + 1)
        .filter((record) => record.functionName === 'aicontent-jobs-sweeper' && record.source === 'timer');
    await eventually('two more sweeps', () => (sweepsAfter().length >= 2 ? true : undefined));
    expect(records.filter(isDone)).toHaveLength(1);
    const told = await eventually('"job done" in the log', () => {
      const entries = logEntries().filter((entry) => entry.msg === 'job done');
      return entries.length > 0 ? entries : undefined;
    });
    expect(told).toEqual([
      expect.objectContaining({
        notification: expect.objectContaining({
          jobId: id,
          state: 'succeeded',
          status: 'FINISHED',
          images: expect.arrayContaining([expect.any(String)]),
          reason: null,
          idempotencyKey: `${id}:succeeded`,
        }),
      }),
    ]);
    expect(await store.get(id)).toMatchObject({
      state: 'succeeded',
      notification: 'sent',
      notifyAttempts: 1,
    });

    // Every sweep was the timer's, and every one succeeded; nothing failed anywhere.
    const sweeps = records.filter((record) => record.functionName === 'aicontent-jobs-sweeper');
    expect(sweeps.every((record) => record.source === 'timer' && record.outcome?.ok)).toBe(true);
    expect(records.filter((record) => record.outcome?.ok !== true)).toEqual([]);
    expect(logEntries().filter((entry) => entry.msg === 'invocation failed')).toEqual([]);

    const queried = await signedCall('GET', `/jobs/${id}`);
    expect(JSON.parse(queried.text)).toMatchObject({ terminal: true, job: { id, state: 'succeeded' } });
    console.info(`rehearsal: set-up ${setupMs} ms, track → on-job-done ${loopMs} ms`);
  }, 60_000);

  it("gave each function s.yaml's variables and FC's own, nothing else; on-job-done no credentials", () => {
    expect(new Set(instances.map((instance) => instance.functionName))).toEqual(new Set(deployed.keys()));
    for (const { functionName, env } of instances) {
      const fn = deployed.get(functionName) as FunctionDefinition;
      const expected = Object.fromEntries(
        Object.entries(fn.environmentVariables).map(([name, value]) => [name, standIns[name] ?? value]),
      );
      // FC's own variables: the role's credentials only for a function with a role.
      const fcOwn = FC_PROVIDED.filter((name) => fn.role !== undefined || !name.startsWith('ALIBABA_CLOUD_'));
      const allowed = new Set<string>([...Object.keys(expected), ...fcOwn, ...PROCESS_BASICS]);
      const names = Object.keys(env);
      expect({ functionName, beyond: names.filter((name) => !allowed.has(name)) }).toEqual({
        functionName,
        beyond: [],
      });
      const given = Object.fromEntries(Object.keys(expected).map((name) => [name, env[name]]));
      expect(given).toEqual(expected);
      expect(names.filter((name) => LOCAL_ONLY.includes(name))).toEqual([]);
      // Deployable, but off unless the deployer opens it (a receiver inside the VPC).
      if ('NOTIFY_ALLOW_PRIVATE_ADDRESSES' in env) expect(env.NOTIFY_ALLOW_PRIVATE_ADDRESSES).toBe('false');
      expect(env.FC_FUNCTION_NAME).toBe(functionName);
      // Its own copy of the code package, not this repository or the build directory.
      expect(env.FC_FUNC_CODE_PATH?.startsWith(root)).toBe(false);
      expect(env.FC_FUNC_CODE_PATH?.startsWith(work)).toBe(false);
      const credentialVariables = names.filter((name) => name.startsWith('ALIBABA_CLOUD_'));
      expect(credentialVariables.length).toBe(fn.role === undefined ? 0 : 3);
    }
  });
});

describe('the embedded store, in this configuration', () => {
  /**
   * A query function run from the same bundles with an embedded store: its answer to a list, once its
   * log says `why` (what a function prints comes through a stream, and may follow the answer).
   */
  async function listWithEmbeddedStore(env: Record<string, string>, why: RegExp) {
    const printed: string[] = [];
    const other = await startLocalRuntime({
      ...rehearsalOptions({ ...DEPLOYER_ENV, ...standIns, JOB_STORE_URL: `file:${join(work, 'jobs.db')}` }),
      env,
      timers: false,
      log: (line) => printed.push(line),
    });
    try {
      const outcome = await other.invoke('query', '{"action":"list","state":"pending"}');
      await eventually(
        `a log line matching ${why}`,
        () => printed.some((line) => why.test(line)) || undefined,
      );
      return outcome;
    } finally {
      await other.close();
    }
  }

  const answer = (outcome: InvocationOutcome) =>
    outcome.ok && outcome.result.type === 'json' ? JSON.parse(outcome.result.json) : outcome;

  it('is refused by the preflight and by the functions', async () => {
    expect(
      preflight({ ...DEPLOYER_ENV, JOB_STORE_URL: 'file:.data/jobs.db' }, projectSYaml(), sYamlPath).problems,
    ).toContainEqual(expect.objectContaining({ variable: 'JOB_STORE_URL' }));
    const outcome = await listWithEmbeddedStore({}, /the embedded store runs on one machine only/);
    expect(answer(outcome)).toMatchObject({ error: { code: 'InternalError' } });
  });

  it("cannot load even with npm start's JOB_STORE_ALLOW_LOCAL_DISK: the bundles carry no SQLite binding", async () => {
    const outcome = await listWithEmbeddedStore(
      { JOB_STORE_ALLOW_LOCAL_DISK: 'true' },
      /Cannot find package 'better-sqlite3'/,
    );
    expect(answer(outcome)).toMatchObject({ error: { code: 'InternalError' } });
  });
});
