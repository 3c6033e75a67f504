/**
 * Least privilege: each function runs as a role of its own (s.yaml), and each role's policy (ram/) allows
 * exactly what that function uses. on-job-done runs without a role unless one is given.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SETTINGS } from '#shared/settings.ts';

const QUERY_ACTION = 'aicontent:PersonalizedTextToImageQueryPreModelInferenceJobInfo';
/** The example next step, which README "Deploying" sets as NOTIFY_FUNCTION. */
const ON_JOB_DONE_ARN = 'acs:fc:*:*:functions/aicontent-jobs-on-job-done';

interface Statement {
  Effect: string;
  Action: string[];
  Resource: string | string[];
}

function policy(file: string): Statement[] {
  const document = JSON.parse(readFileSync(`ram/${file}`, 'utf8')) as {
    Version: string;
    Statement: Statement[];
  };
  expect(document.Version).toBe('1');
  for (const statement of document.Statement) expect(statement.Effect).toBe('Allow');
  return document.Statement;
}

const actions = (statements: Statement[]) => statements.flatMap((statement) => statement.Action).sort();

describe('the RAM policies', () => {
  it('are one per role that has one: the query function’s and the sweeper’s', () => {
    expect(readdirSync('ram').sort()).toEqual(['query-policy.json', 'sweeper-policy.json']);
  });

  it('query: the aicontent query action only', () => {
    expect(policy('query-policy.json')).toEqual([{ Effect: 'Allow', Action: [QUERY_ACTION], Resource: '*' }]);
  });

  it('sweeper: the aicontent query action, and InvokeFunction on the default notify target only', () => {
    const statements = policy('sweeper-policy.json');
    expect(actions(statements)).toEqual([
      'aicontent:PersonalizedTextToImageQueryPreModelInferenceJobInfo',
      'fc:InvokeFunction',
    ]);
    const invoke = statements.find((statement) => statement.Action.includes('fc:InvokeFunction'));
    expect(invoke).toEqual({ Effect: 'Allow', Action: ['fc:InvokeFunction'], Resource: [ON_JOB_DONE_ARN] });
  });
});

describe('s.yaml', () => {
  const document = parse(readFileSync('s.yaml', 'utf8')) as {
    vars: Record<string, string>;
    resources: Record<string, { props: { role?: string } }>;
  };
  const roleOf = (fn: string) => {
    const reference = /^\$\{vars\.(\w+)\}$/.exec(document.resources[fn]?.props.role ?? '')?.[1] ?? '';
    return document.vars[reference];
  };

  it('gives each function a role of its own, each from its own setting', () => {
    const fromEnv = (name: string, fallback: string) => `\${env('${name}', '${fallback}')}`;
    expect(roleOf('query')).toBe(fromEnv('QUERY_ROLE', 'aicontent-jobs-query-role'));
    expect(roleOf('sweeper')).toBe(fromEnv('SWEEPER_ROLE', 'aicontent-jobs-sweeper-role'));
    expect(roleOf('on-job-done')).toBe(fromEnv('ON_JOB_DONE_ROLE', ''));
    expect(new Set(['query', 'sweeper', 'on-job-done'].map(roleOf)).size).toBe(3);
  });

  it('runs on-job-done with no role by default: it calls nothing', () => {
    expect(SETTINGS.ON_JOB_DONE_ROLE.default).toBe('');
    expect(SETTINGS.QUERY_ROLE.default).not.toBe(SETTINGS.SWEEPER_ROLE.default);
  });
});
