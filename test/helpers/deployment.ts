/**
 * A deployment configuration the preflight accepts: what the README's "Deploying" block sets, with
 * obviously fake ids and password. Nothing here is ever connected to.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './tsxProcess.ts';

export const DEPLOYABLE_ENV = {
  JOB_STORE_URL: 'redis://:Fake-Passw0rd-Not-Real@r-bp1fakeinstance.redis.rds.aliyuncs.com:6379',
  VPC_ID: 'vpc-bp1fakevpc0000000001',
  VSWITCH_IDS: 'vsw-bp1fakezonea000001,vsw-bp1fakezoneb000001',
  SECURITY_GROUP_ID: 'sg-bp1fakegroup00000001',
  NOTIFY_FUNCTION: 'aicontent-jobs-on-job-done',
} as const;

export const S_YAML_PATH = join(root, 's.yaml');

/** The project's s.yaml, as `s deploy` reads it. */
export function projectSYaml(): string {
  return readFileSync(S_YAML_PATH, 'utf8');
}
