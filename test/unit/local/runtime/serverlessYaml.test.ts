// biome-ignore-all lint/suspicious/noTemplateCurlyInString: s.yaml templates are written ${...} in plain strings
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerlessYaml, ServerlessYamlError } from '#local/runtime/serverlessYaml.ts';
import { FIXTURE_DIR, FIXTURE_S_YAML } from '#test/helpers/localRuntime.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 's-yaml-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Writes an s.yaml holding `resources` (and `extra` top-level text) and loads it. */
async function load(resources: string, options: { env?: Record<string, string>; extra?: string } = {}) {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, `edition: 3.0.0\nname: t\n${options.extra ?? ''}\nresources:\n${resources}`);
  return loadServerlessYaml(file, options.env ?? {}, { accountId: '999' });
}

const minimal = (props: string) => `  fn:\n    component: fc3\n    props:\n${props}`;
const BASE_PROPS = `      functionName: f\n      runtime: nodejs20\n      code: ./dist\n      handler: index.handler\n`;

describe('the fixture s.yaml', () => {
  it('gives typed, evaluated function definitions', async () => {
    const yaml = await loadServerlessYaml(FIXTURE_S_YAML, { FIXTURE_DIST: '/tmp/bundles' });
    expect(yaml.rootDir).toBe(FIXTURE_DIR.replace(/\/$/, ''));
    expect(yaml.functions.map((fn) => fn.functionName)).toEqual([
      'fixture-echo',
      'fixture-sleeper',
      'fixture-thrower',
      'fixture-ticker',
    ]);
    const [echo, sleeper, , ticker] = yaml.functions;
    expect(echo).toEqual({
      resourceName: 'echo',
      functionName: 'fixture-echo',
      runtime: 'nodejs20',
      region: 'cn-hangzhou',
      codeDir: '/tmp/bundles/echo',
      handler: 'index.handler',
      memorySize: 256,
      timeout: 5,
      role: 'acs:ram::1234567890123456:role/fixture-role',
      environmentVariables: { MARKER: 'echo', TICKER_FUNCTION: 'fixture-ticker' },
      asyncInvokeConfig: undefined,
      logProject: 'fixture-project',
      logStore: 'fixture-logs',
      triggers: [{ type: 'http', name: 'http', authType: 'anonymous', methods: ['GET', 'POST', 'PUT'] }],
      props: expect.objectContaining({ functionName: 'fixture-echo', memorySize: 256 }),
    });
    // FC's defaults where s.yaml says nothing.
    expect(sleeper).toMatchObject({
      timeout: 1,
      memorySize: 512,
      region: undefined,
      role: undefined,
      environmentVariables: {},
    });
    expect(ticker?.triggers).toEqual([
      {
        type: 'timer',
        name: 'every-5m',
        cronExpression: '0 */5 * * * *',
        enable: true,
        payload: '{"job":"sweep"}',
      },
      { type: 'timer', name: 'paused', cronExpression: '@every 1h', enable: false, payload: '' },
    ]);
  });

  it('reads ${env()} from the environment given, defaults otherwise', async () => {
    const yaml = await loadServerlessYaml(FIXTURE_S_YAML, { FIXTURE_PREFIX: 'dev' });
    expect(yaml.functions[0]?.functionName).toBe('dev-echo');
    expect(yaml.functions[0]?.codeDir).toBe(join(FIXTURE_DIR, 'dist', 'echo'));
    expect(yaml.functions[0]?.environmentVariables.TICKER_FUNCTION).toBe('dev-ticker');
  });
});

it("loads the project's s.yaml (the query function, its HTTP trigger)", async () => {
  const path = fileURLToPath(new URL('../../../../s.yaml', import.meta.url));
  const yaml = await loadServerlessYaml(path, {});
  const query = yaml.functions.find((fn) => fn.resourceName === 'query');
  expect(query).toMatchObject({
    functionName: 'aicontent-jobs-query',
    runtime: 'nodejs20',
    region: 'cn-shanghai',
  });
  expect(query?.environmentVariables.AICONTENT_ENDPOINT).toBe('aicontent.aliyuncs.com');
  expect(query?.triggers[0]).toMatchObject({ type: 'http', authType: 'function' });
  // One role each; on-job-done has none unless ON_JOB_DONE_ROLE names one.
  const roles = (env: Record<string, string>) =>
    loadServerlessYaml(path, env).then((loaded) => loaded.functions.map((fn) => [fn.resourceName, fn.role]));
  expect(await roles({})).toEqual([
    ['query', 'aicontent-jobs-query-role'],
    ['sweeper', 'aicontent-jobs-sweeper-role'],
    ['on-job-done', undefined],
  ]);
  expect(await roles({ ON_JOB_DONE_ROLE: 'next-step-role' })).toContainEqual([
    'on-job-done',
    'next-step-role',
  ]);
});

describe('templates', () => {
  it('evaluates every kind we use, keeping the type of a whole-string expression', async () => {
    const yaml = await load(
      minimal(`${BASE_PROPS}      timeout: \${vars.timeout}
      memorySize: \${env('MEM', '1024')}
      environmentVariables:
        ROLE: acs:ram::\${config('AccountID')}:role/\${vars.nested.role}
        FROM_ENV: \${env("HOME_DIR")}
        DEFAULTED: \${env('UNSET', 'fallback')}
        EMPTY_DEFAULT: \${ env('UNSET', '') }
        OTHER: \${resources.other.props.functionName}
        OBJECT: x\${vars.nested}
        NUMBER: \${vars.timeout}
  other:
    component: fc3
    props:
      functionName: \${vars.name}-other
      runtime: nodejs20
      code: ./dist
      handler: other.handler
  domain:
    component: fc3-domain
    props: { domainName: auto }
`),
      { env: { HOME_DIR: '/home/me' }, extra: 'vars:\n  name: app\n  timeout: 7\n  nested: { role: r1 }\n' },
    );
    const [fn, other] = yaml.functions;
    expect(yaml.functions).toHaveLength(2);
    expect(fn?.timeout).toBe(7);
    expect(fn?.memorySize).toBe(1024);
    expect(fn?.environmentVariables).toEqual({
      ROLE: 'acs:ram::999:role/r1',
      FROM_ENV: '/home/me',
      DEFAULTED: 'fallback',
      EMPTY_DEFAULT: '',
      OTHER: 'app-other',
      OBJECT: 'x{"role":"r1"}',
      NUMBER: '7',
    });
    expect(other?.functionName).toBe('app-other');
  });

  it("turns ${env('X', '').split(',')} into a list, as `s` (which runs the expression as JavaScript) does", async () => {
    const props = `${BASE_PROPS}      vpcConfig:
        vSwitchIds: \${env('VSW', '').split(',')}
        unset: \${env('NOPE', '').split(",")}
        spaced: \${ env( 'VSW' ).split( ';' ) }
`;
    const yaml = await load(minimal(props), { env: { VSW: 'vsw-a,vsw-b' } });
    expect(yaml.functions[0]?.props.vpcConfig).toEqual({
      vSwitchIds: ['vsw-a', 'vsw-b'],
      unset: [''],
      spaced: ['vsw-a,vsw-b'],
    });
    await expect(load(minimal(`${BASE_PROPS}      x: \${env('NOPE').split(',')}\n`))).rejects.toThrow(
      /the environment variable NOPE is not set/,
    );
  });

  it.each([
    [
      "${file('./x')}",
      /\$\{file\('\.\/x'\)\} at resources\.fn\.props\.environmentVariables\.X is not supported locally/,
    ],
    ['${this.props.functionName}', /\$\{this\.props\.functionName\} at .* is not supported locally/],
    ["${env('X', 'a').trim()}", /is not supported locally/],
    ["${env('X', 'a').split(',').map(f)}", /is not supported locally/],
    ['${resources.fn.output.url}', /only resources\.<name>\.props\.\* can be referenced/],
    ["${env('NOPE')}", /the environment variable NOPE is not set/],
    ['${vars.missing}', /vars\.missing is not defined/],
    ["${config('Region')}", /only config\('AccountID'\) is known locally/],
    ['${vars.a}', /refers back to itself/],
  ])('refuses %s, naming it', async (expression, message) => {
    const attempt = load(minimal(`${BASE_PROPS}      environmentVariables:\n        X: ${expression}\n`), {
      extra: 'vars:\n  a: ${vars.b}\n  b: ${vars.a}\n',
    });
    await expect(attempt).rejects.toThrow(ServerlessYamlError);
    await expect(attempt).rejects.toThrow(message);
  });
});

describe('errors', () => {
  it('a missing file', async () => {
    await expect(loadServerlessYaml(join(dir, 'nope.yaml'))).rejects.toThrow(/cannot read .*nope\.yaml/);
  });

  it('bad YAML', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'resources:\n  fn: [unclosed\n');
    await expect(loadServerlessYaml(file)).rejects.toThrow(/bad\.yaml is not valid YAML/);
  });

  it('no resources', async () => {
    const file = join(dir, 'empty.yaml');
    await writeFile(file, 'edition: 3.0.0\n');
    await expect(loadServerlessYaml(file)).rejects.toThrow(/has no "resources:" map/);
  });

  it.each(['functionName', 'runtime', 'handler'])('a missing %s', async (prop) => {
    const props = BASE_PROPS.split('\n')
      .filter((line) => !line.includes(`${prop}:`))
      .join('\n');
    await expect(load(minimal(props))).rejects.toThrow(`resources.fn.props.${prop} is required`);
  });

  it('a missing or non-directory code', async () => {
    const withoutCode = BASE_PROPS.replace('      code: ./dist\n', '');
    await expect(load(minimal(withoutCode))).rejects.toThrow(/props\.code is required.*directory/);
    const oss = `${withoutCode}      code: { ossBucketName: b, ossObjectName: o.zip }\n`;
    await expect(load(minimal(oss))).rejects.toThrow(/props\.code is required.*not an OSS object/);
  });

  it('a handler that is not file.export', async () => {
    const props = BASE_PROPS.replace('index.handler', 'handler');
    await expect(load(minimal(props))).rejects.toThrow(/handler must look like file\.export/);
  });

  it('two resources with one functionName', async () => {
    const twice = `${minimal(BASE_PROPS)}  again:\n    component: fc3\n    props:\n${BASE_PROPS}`;
    await expect(load(twice)).rejects.toThrow(/resources\.again: functionName f is also resources\.fn's/);
  });

  it('a bad number, a bad cron, a bad trigger', async () => {
    await expect(load(minimal(`${BASE_PROPS}      timeout: soon\n`))).rejects.toThrow(
      /timeout must be a positive number/,
    );
    const timer = `${BASE_PROPS}      triggers:\n        - { triggerName: t, triggerType: timer, triggerConfig: { cronExpression: '0 * * * *' } }\n`;
    await expect(load(minimal(timer))).rejects.toThrow(/triggers\[0\]: "0 \* \* \* \*" has 5 fields/);
    const nameless = `${BASE_PROPS}      triggers:\n        - { triggerType: http }\n`;
    await expect(load(minimal(nameless))).rejects.toThrow(
      /triggers\[0\] needs a triggerName and a triggerType/,
    );
  });
});
