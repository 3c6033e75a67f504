/**
 * `npm run preflight`: the configuration `s deploy` would ship (the project's s.yaml with an
 * environment) is refused when it cannot work on FC, each problem naming the variable to set.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: s.yaml templates are written ${...} in plain strings
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readSweeperConfig } from '#shared/config.ts';
import type { ConfigError } from '#shared/errors.ts';
import { SETTINGS, type Setting, type SettingName } from '#shared/settings.ts';
import { DEPLOYABLE_ENV, projectSYaml, S_YAML_PATH } from '#test/helpers/deployment.ts';
import { tsxProcesses } from '#test/helpers/tsxProcess.ts';
import {
  FC_ENVIRONMENT_LIMIT_BYTES,
  type PreflightResult,
  preflight,
  settingValueProblems,
} from '../../../scripts/preflight.ts';

const S_YAML = projectSYaml();

function check(env: Record<string, string>, sYaml = S_YAML): PreflightResult {
  return preflight(env, sYaml, S_YAML_PATH);
}

const deployable = (extra: Record<string, string> = {}) => check({ ...DEPLOYABLE_ENV, ...extra });
const variables = (result: PreflightResult) => result.problems.map((problem) => problem.variable);
const messages = (result: PreflightResult) => result.problems.map((problem) => problem.message).join('\n');

/** s.yaml with `from` replaced (once, and it must be there). */
function editedSYaml(from: string, to: string): string {
  expect(S_YAML).toContain(from);
  return S_YAML.replace(from, to);
}

describe('nothing set', () => {
  it('names the job store and its network, for the query and sweeper functions', () => {
    const result = check({});
    expect(variables(result)).toEqual(['JOB_STORE_URL', 'VPC_ID', 'VSWITCH_IDS', 'SECURITY_GROUP_ID']);
    for (const problem of result.problems) expect(problem.functions).toEqual(['query', 'sweeper']);
    expect(messages(result)).toMatch(/JOB_STORE_URL is not set: set it to your ApsaraDB for Redis \/ Tair/);
    expect(messages(result)).toMatch(
      /VPC_ID is not set: set it to the id of your Redis\/Tair instance's VPC/,
    );
  });
});

describe('a complete Redis configuration', () => {
  it('passes, saying what it checked, with the password hidden', () => {
    const result = deployable();
    expect(result.problems).toEqual([]);
    const passed = result.passed.join('\n');
    expect(passed).toContain(
      'job store: redis://:***@r-bp1fakeinstance.redis.rds.aliyuncs.com:6379/0 (query, sweeper)',
    );
    expect(passed).toContain('network: vpc-bp1fakevpc0000000001, 2 vSwitches, sg-bp1fakegroup00000001');
    expect(passed).toContain('notifications: function aicontent-jobs-on-job-done');
    expect(passed).toContain('sweeper timing: lease 120 s > timeout 60 s > safety margin 5 s');
    expect(passed).not.toContain('Fake-Passw0rd');
  });

  it('is what the functions get: the network as fc3 takes it, the settings as the functions read them', async () => {
    const { parseServerlessYaml } = await import('#local/runtime/serverlessYaml.ts');
    const yaml = parseServerlessYaml(S_YAML, S_YAML_PATH, DEPLOYABLE_ENV);
    for (const fn of yaml.functions.filter((f) => ['query', 'sweeper'].includes(f.resourceName))) {
      expect(fn.props.vpcConfig).toEqual({
        vpcId: DEPLOYABLE_ENV.VPC_ID,
        vSwitchIds: DEPLOYABLE_ENV.VSWITCH_IDS.split(','),
        securityGroupId: DEPLOYABLE_ENV.SECURITY_GROUP_ID,
      });
      expect(fn.environmentVariables.JOB_STORE_URL).toBe(DEPLOYABLE_ENV.JOB_STORE_URL);
    }
    expect(yaml.functions.find((f) => f.resourceName === 'on-job-done')?.props.vpcConfig).toBeUndefined();
  });
});

describe('the job store', () => {
  it.each([
    ['file:.data/jobs.db', /JOB_STORE_URL is a file: URL: the embedded store does not run on FC/],
    ['sqlite:/mnt/nas/jobs.db', /JOB_STORE_URL is a sqlite: URL/],
    ['redis://127.0.0.1:6379', /JOB_STORE_URL points at 127\.0\.0\.1: on FC that is the function instance/],
    ['rediss://:pw@localhost', /JOB_STORE_URL points at localhost/],
    ['redis://:pw@r-x.redis.rds.aliyuncs.com:99999', /JOB_STORE_URL: Redis URL .* has port "99999"/],
  ])('%s is refused', (url, message) => {
    const result = deployable({ JOB_STORE_URL: url });
    expect(variables(result)).toContain('JOB_STORE_URL');
    expect(messages(result)).toMatch(message);
    expect(messages(result)).not.toContain(':pw@');
  });

  it.each([
    ['VPC_ID', 'vpc bp1', /VPC_ID holds "vpc bp1", which is not a VPC id/],
    [
      'VSWITCH_IDS',
      'vsw-a, vsw-b',
      /VSWITCH_IDS holds " vsw-b", which is not a vSwitch id .* without spaces/,
    ],
    ['VSWITCH_IDS', 'vsw-a,', /VSWITCH_IDS holds "", which is not a vSwitch id/],
    ['SECURITY_GROUP_ID', 'vsw-a', /SECURITY_GROUP_ID holds "vsw-a", which is not a security group id/],
  ])('%s=%j is refused', (name, value, message) => {
    const result = deployable({ [name]: value });
    expect(result.problems).toEqual([
      { variable: name, message: expect.stringMatching(message), functions: ['query', 'sweeper'] },
    ]);
  });

  it('refuses s.yaml without the network on a function that opens the store', () => {
    const sYaml = editedSYaml('      vpcConfig: ${vars.storeNetwork}\n', '');
    const result = check(DEPLOYABLE_ENV, sYaml);
    expect(result.problems).toEqual([
      {
        variable: 's.yaml',
        message: expect.stringMatching(/s\.yaml gives query no vpcConfig: .* must join the VPC/),
        functions: ['query'],
      },
    ]);
    const auto = check(DEPLOYABLE_ENV, editedSYaml('vpcConfig: ${vars.storeNetwork}', 'vpcConfig: auto'));
    expect(messages(auto)).toMatch(/s\.yaml gives query vpcConfig: auto, a VPC of its own/);
  });
});

describe('every setting is read as the functions read it', () => {
  const all = Object.entries(SETTINGS) as [SettingName, Setting][];
  const bad = (setting: Setting): string | undefined => {
    if (setting.type === 'int') return String(setting.max + 1);
    if (setting.type === 'bool') return 'maybe';
    if (setting.type === 'enum') return 'bogus';
    return undefined;
  };
  // Local-only switches are refused for being set at all (below).
  const typed = all.filter(([, setting]) => bad(setting) !== undefined && !setting.local);

  it.each(typed)('%s: a bad value is refused, naming it and its values', (name, setting) => {
    const result = deployable({ [name]: bad(setting) as string });
    const problem = result.problems.find((p) => p.variable === name);
    expect(problem?.message).toMatch(new RegExp(`^${name} must be`));
    if (setting.type === 'int') expect(problem?.message).toContain(`from ${setting.min} to ${setting.max}`);
    if (setting.type === 'enum') expect(problem?.message).toContain(setting.values.join(', '));
    // Read from the environment s.yaml gives each function that reads it; deployment settings as s.yaml does.
    expect(problem?.functions).toEqual(setting.deploy ? undefined : setting.readBy);
  });

  it("gives the function's own message", () => {
    const env = { ...DEPLOYABLE_ENV, MAX_JOB_AGE_SECONDS: '5' };
    let thrown = '';
    try {
      readSweeperConfig(env);
    } catch (error) {
      thrown = (error as ConfigError).message;
    }
    expect(thrown).toBe('MAX_JOB_AGE_SECONDS must be a whole number from 60 to 2592000, got "5"');
    expect(deployable({ MAX_JOB_AGE_SECONDS: '5' }).problems).toEqual([
      { variable: 'MAX_JOB_AGE_SECONDS', message: thrown, functions: ['sweeper'] },
    ]);
  });

  it.each([
    ['AICONTENT_ENDPOINT', 'ftp://aicontent', /AICONTENT_ENDPOINT must be http\(s\)/],
    ['NOTIFY_FC_ENDPOINT', 'https://exa mple', /NOTIFY_FC_ENDPOINT is not a host or URL/],
    ['NOTIFY_TARGETS_ALLOWED', 'fn:a,nope', /NOTIFY_TARGETS_ALLOWED: "nope" is not an entry/],
    [
      'NOTIFY_WEBHOOK_SECRET',
      'short',
      /NOTIFY_WEBHOOK_SECRET must be at least 16 characters long \(it has 5\)/,
    ],
    ['SWEEP_SCHEDULE', 'every minute', /SWEEP_SCHEDULE: "every minute" has 2 fields/],
  ])('%s=%j: its shape is checked too', (name, value, message) => {
    const result = deployable({ [name]: value });
    expect(variables(result)).toContain(name);
    expect(messages(result)).toMatch(message);
    expect(messages(result)).not.toContain('"short"');
  });

  it('still checks the values when s.yaml cannot be evaluated, and says why it cannot', () => {
    const result = check({ SWEEP_SCHEDULE: '61 * * * * *', MAX_POLL_ATTEMPTS: '0' });
    expect(variables(result)).toEqual(
      expect.arrayContaining(['s.yaml', 'SWEEP_SCHEDULE', 'MAX_POLL_ATTEMPTS', 'JOB_STORE_URL']),
    );
    expect(messages(result)).toMatch(/s\.yaml: resources\.sweeper\.props\.triggers\[0\]/);
  });

  it('settingValueProblems reads any environment (what npm start checks)', () => {
    expect(settingValueProblems({})).toEqual([]);
    expect(settingValueProblems({ LEASE_SECONDS: '1', LOG_LEVEL: 'loud', PORT: 'x' })).toEqual([
      { variable: 'LOG_LEVEL', message: 'LOG_LEVEL must be one of debug, info, warn, error, got "loud"' },
      { variable: 'LEASE_SECONDS', message: 'LEASE_SECONDS must be a whole number from 5 to 86400, got "1"' },
    ]);
  });
});

describe('notifications', () => {
  const webhook = { NOTIFY_FUNCTION: '', NOTIFY_URL: 'https://hooks.example.com/aicontent' };

  it('a webhook needs its secret', () => {
    const result = check({ ...DEPLOYABLE_ENV, ...webhook });
    expect(result.problems).toEqual([
      {
        variable: 'NOTIFY_WEBHOOK_SECRET',
        message: expect.stringMatching(
          /^NOTIFY_URL is a webhook, .* set NOTIFY_WEBHOOK_SECRET to a random secret of at least 16/,
        ),
        functions: ['sweeper'],
      },
    ]);
    const signed = check({ ...DEPLOYABLE_ENV, ...webhook, NOTIFY_WEBHOOK_SECRET: 'x'.repeat(32) });
    expect(signed.problems).toEqual([]);
    expect(signed.passed).toContain('notifications: webhook https://hooks.example.com/aicontent');
  });

  it('webhooks a job may name need the secret as well', () => {
    const result = deployable({ NOTIFY_TARGETS_ALLOWED: 'fn:next-*, url:https://hooks.example.com/' });
    expect(messages(result)).toMatch(
      /NOTIFY_TARGETS_ALLOWED lets jobs name webhooks \(url:…\), which are always signed/,
    );
  });

  it.each([
    [{ NOTIFY_URL: 'https://hooks.example.com/x' }, /set NOTIFY_FUNCTION or NOTIFY_URL, not both/],
    [{ ...webhook, NOTIFY_URL: 'http://hooks.example.com/x' }, /NOTIFY_URL: the webhook URL must use https:/],
    [{ ...webhook, NOTIFY_URL: 'https://localhost/x' }, /NOTIFY_URL points at localhost/],
    [{ NOTIFY_FUNCTION: 'bad name' }, /NOTIFY_FUNCTION: function name "bad name" is not valid/],
    [
      { REGION: 'cn_shanghai' },
      /REGION: the FC region "cn_shanghai" cannot be part of the FC endpoint's host/,
    ],
  ])('%j is refused', (extra, message) => {
    expect(messages(deployable({ NOTIFY_WEBHOOK_SECRET: 'y'.repeat(20), ...extra }))).toMatch(message);
  });

  it('no default target is allowed: jobs that name one are still told', () => {
    const result = deployable({ NOTIFY_FUNCTION: '' });
    expect(result.problems).toEqual([]);
    expect(result.passed.join('\n')).toMatch(/notifications: no default target/);
  });
});

describe("the sweeper's lease and timeout", () => {
  it('LEASE_SECONDS must be above the timeout', () => {
    expect(deployable({ LEASE_SECONDS: '61' }).problems).toEqual([]);
    expect(deployable({ LEASE_SECONDS: '60' }).problems).toEqual([
      {
        variable: 'LEASE_SECONDS',
        message: expect.stringMatching(
          /^LEASE_SECONDS is 60, not above the sweeper's timeout \(60 s in s\.yaml\)/,
        ),
        functions: ['sweeper'],
      },
    ]);
    const longer = check(DEPLOYABLE_ENV, editedSYaml('      timeout: 60\n', '      timeout: 300\n'));
    expect(messages(longer)).toMatch(/LEASE_SECONDS is 120, not above the sweeper's timeout \(300 s/);
  });

  it('the safety margin must leave time to sweep', () => {
    expect(messages(deployable({ SWEEP_SAFETY_MARGIN_SECONDS: '60', LEASE_SECONDS: '600' }))).toMatch(
      /SWEEP_SAFETY_MARGIN_SECONDS is 60, not below the sweeper's timeout/,
    );
  });
});

describe('the HTTP trigger', () => {
  it('jwt needs an authConfig in s.yaml', () => {
    expect(messages(deployable({ HTTP_AUTH_TYPE: 'jwt' }))).toMatch(
      /HTTP_AUTH_TYPE is jwt, but .* no authConfig/,
    );
  });

  it('anonymous needs NOTIFY_TARGETS_ALLOWED', () => {
    expect(variables(deployable({ HTTP_AUTH_TYPE: 'anonymous' }))).toEqual(['NOTIFY_TARGETS_ALLOWED']);
    const listed = deployable({ HTTP_AUTH_TYPE: 'anonymous', NOTIFY_TARGETS_ALLOWED: 'fn:next-step' });
    expect(listed.problems).toEqual([]);
  });
});

describe('what FC refuses or local runs only use', () => {
  it.each(['JOB_STORE_ALLOW_LOCAL_DISK', 'NOTIFY_ALLOW_HTTP'])('%s set for a deployment', (name) => {
    expect(deployable({ [name]: 'true' }).problems).toEqual([
      {
        variable: name,
        message: expect.stringMatching(new RegExp(`^${name} is set: it is for local runs only`)),
      },
    ]);
  });

  it('a local-only switch that s.yaml passes', () => {
    const sYaml = editedSYaml(
      "        MAX_TRACKED_JOBS: ${env('MAX_TRACKED_JOBS', '10000')}\n",
      "        MAX_TRACKED_JOBS: ${env('MAX_TRACKED_JOBS', '10000')}\n        NOTIFY_ALLOW_HTTP: 'true'\n",
    );
    expect(messages(check(DEPLOYABLE_ENV, sYaml))).toMatch(/s\.yaml passes NOTIFY_ALLOW_HTTP to query/);
  });

  it.each([
    ['FC_ENDPOINT', /s\.yaml sets FC_ENDPOINT for sweeper: FC reserves that name/],
    ['ALIBABA_CLOUD_ACCESS_KEY_ID', /FC reserves that name/],
    ['my-setting', /s\.yaml sets "my-setting" for sweeper: FC takes letters, digits and _ only/],
  ])('a variable named %s', (name, message) => {
    const sYaml = editedSYaml(
      "        NOTIFY_FC_INTERNAL: ${env('NOTIFY_FC_INTERNAL', 'true')}\n",
      `        NOTIFY_FC_INTERNAL: \${env('NOTIFY_FC_INTERNAL', 'true')}\n        ${name}: x\n`,
    );
    expect(messages(check(DEPLOYABLE_ENV, sYaml))).toMatch(message);
  });

  it("an environment over FC's 4 KB, naming its longest value", () => {
    // A valid allowlist, long enough to take the sweeper over the limit.
    const allowed = Array.from({ length: 400 }, (_, i) => `fn:step-${i}`).join(',');
    expect(allowed.length).toBeGreaterThan(FC_ENVIRONMENT_LIMIT_BYTES);
    const result = deployable({ NOTIFY_TARGETS_ALLOWED: allowed });
    expect(result.problems).toEqual([
      {
        variable: 'NOTIFY_TARGETS_ALLOWED',
        message: expect.stringMatching(/^query's environment is \d+ bytes, over FC's 4096/),
        functions: ['query'],
      },
      {
        variable: 'NOTIFY_TARGETS_ALLOWED',
        message: expect.stringMatching(/^sweeper's environment is \d+ bytes, over FC's 4096/),
        functions: ['sweeper'],
      },
    ]);
  });

  it('an endpoint left on this machine', () => {
    expect(messages(deployable({ AICONTENT_ENDPOINT: 'http://127.0.0.1:9100' }))).toMatch(
      /AICONTENT_ENDPOINT points at 127\.0\.0\.1: on FC that is the function instance itself/,
    );
    expect(messages(deployable({ NOTIFY_FC_ENDPOINT: 'localhost:9000' }))).toMatch(
      /NOTIFY_FC_ENDPOINT points at localhost/,
    );
  });
});

describe('s.yaml runs it before the build', () => {
  it('in the pre-deploy action', () => {
    const document = parse(S_YAML) as { actions: Record<string, { run: string }[]> };
    expect(document.actions['pre-deploy']).toEqual([
      { run: 'npm ci && npm run preflight && npm run build', path: './' },
    ]);
  });
});

describe('npm run preflight, as a process', () => {
  const runTsx = tsxProcesses();
  let dir: string;
  let emptyEnvFile: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'preflight-'));
    emptyEnvFile = join(dir, 'empty.env');
    await writeFile(emptyEnvFile, '');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Runs the script with only `env` (and what Node needs), never a developer's .env. */
  async function run(env: Record<string, string>, envFile = emptyEnvFile) {
    const child = runTsx(['scripts/preflight.ts', '--dotenv', envFile], {
      PATH: process.env.PATH ?? '',
      ...env,
    });
    const code = await child.exit;
    return { code, stdout: child.stdout(), stderr: child.stderr() };
  }

  it('with nothing set: exit 1, naming JOB_STORE_URL and the network settings', async () => {
    const { code, stdout } = await run({});
    expect(code).toBe(1);
    for (const name of ['JOB_STORE_URL', 'VPC_ID', 'VSWITCH_IDS', 'SECURITY_GROUP_ID']) {
      expect(stdout).toMatch(new RegExp(`✗ ${name} is not set: .* \\[query, sweeper\\]`));
    }
    expect(stdout).toContain('✓ sweeper timing');
    expect(stdout).toMatch(/preflight: 4 problems; set what they name/);
  });

  it('with a complete Redis configuration: exit 0', async () => {
    const { code, stdout } = await run(DEPLOYABLE_ENV);
    expect(code).toBe(0);
    expect(stdout).not.toContain('✗');
    expect(stdout).toContain('✓ network: vpc-bp1fakevpc0000000001, 2 vSwitches');
    expect(stdout).toMatch(/preflight: ready to deploy\n$/);
    expect(stdout).not.toContain('Fake-Passw0rd');
  });

  it('reads the .env file as `s` does: the environment wins', async () => {
    const envFile = join(dir, 'deploy.env');
    const lines = Object.entries(DEPLOYABLE_ENV).map(([name, value]) => `${name}=${value}`);
    await writeFile(envFile, `${lines.join('\n')}\nLEASE_SECONDS=30\n`);
    const fromFile = await run({}, envFile);
    expect(fromFile.stdout).toContain(`and ${envFile}`);
    expect(fromFile.stdout).toMatch(/✗ LEASE_SECONDS is 30/);
    expect(fromFile.code).toBe(1);
    const overridden = await run({ LEASE_SECONDS: '90' }, envFile);
    expect(overridden.code).toBe(0);
  });

  it('refuses a --dotenv file that does not exist', async () => {
    const { code, stderr } = await run({}, join(dir, 'nope.env'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/preflight: no such file: .*nope\.env/);
  });
});
