/**
 * Every setting of the project, declared once: its name, default, which functions read it, what it
 * means and which values it takes. `config.ts` reads the functions' settings through this list, `s.yaml`
 * passes each one to every function that reads it with the same default, the README's "Configuration"
 * table is printed from it (`npm run settings`), and `npm run preflight` checks a deployment's values
 * against it. test/unit/settings.test.ts fails when the code, s.yaml and the README disagree.
 *
 * Three kinds:
 * - function settings (`readBy` names the functions): environment variables of the functions;
 * - deployment settings (`deploy: true`): read by s.yaml only (region, role, network, trigger);
 * - local settings (`local: true`): set by the local runtime for `npm start`, never passed by s.yaml.
 */

import { LOG_LEVELS } from '#shared/log.ts';

/** A function of s.yaml, by its resource name. */
export type FunctionId = 'query' | 'sweeper' | 'on-job-done';

interface SettingBase {
  /** The functions that read it (empty for deployment settings). */
  readBy: readonly FunctionId[];
  /** What it means, in one sentence or two: the README's "meaning" column. */
  meaning: string;
  /** Read by s.yaml only, not by a function. */
  deploy?: true;
  /** Set by the local runtime only; s.yaml never passes it, and the preflight refuses it. */
  local?: true;
  /** What s.yaml deploys when it differs from the code's default (`''`: nothing, the setting must be set). */
  deployDefault?: string;
}

export type Setting =
  /** `''` as a default means none: the setting is optional, or required where `deployDefault` says so. */
  | (SettingBase & { type: 'string'; default: string; secret?: true })
  | (SettingBase & { type: 'int'; default: number; min: number; max: number })
  | (SettingBase & { type: 'bool'; default: boolean })
  | (SettingBase & { type: 'enum'; default: string; values: readonly string[] });

const QS: readonly FunctionId[] = ['query', 'sweeper'];
const ALL: readonly FunctionId[] = ['query', 'sweeper', 'on-job-done'];
const SWEEPER: readonly FunctionId[] = ['sweeper'];
const QUERY: readonly FunctionId[] = ['query'];

/** A deployment setting (a string s.yaml reads) with the default s.yaml deploys. */
const deployment = (defaultValue: string, meaning: string) =>
  ({ type: 'string', default: defaultValue, deploy: true, readBy: [], meaning }) as const;

/** A deployment setting without a default: a deployment must set it (`npm run preflight` says so). */
const requiredForDeployment = (meaning: string) =>
  ({ ...deployment('', meaning), deployDefault: '' }) as const;

export const SETTINGS = {
  AICONTENT_ENDPOINT: {
    type: 'string',
    default: 'aicontent.aliyuncs.com',
    readBy: QS,
    meaning: 'aicontent host (HTTPS) or URL, e.g. `http://127.0.0.1:9100` for the emulator',
  },
  AICONTENT_MAX_ATTEMPTS: {
    type: 'int',
    default: 3,
    min: 1,
    max: 10,
    readBy: QS,
    meaning:
      'tries per aicontent request (retries only throttling, 5xx, `ServiceUnavailable`, ' +
      '`InternalError`/`UNKNOWN_ERROR` and transport errors)',
  },
  AICONTENT_TIMEOUT_MS: {
    type: 'int',
    default: 10_000,
    min: 100,
    max: 120_000,
    readBy: QS,
    meaning: 'longest wait for one aicontent request',
  },
  LOG_LEVEL: {
    type: 'enum',
    default: 'info',
    values: LOG_LEVELS,
    readBy: ALL,
    meaning: 'the least important log lines written',
  },
  POLL_HINT_SECONDS: {
    type: 'int',
    default: 10,
    min: 1,
    max: 3600,
    readBy: QUERY,
    meaning: '`retryAfterSeconds` / `Retry-After` given for a pending job',
  },
  TRACK_ON_QUERY: {
    type: 'bool',
    default: true,
    readBy: QUERY,
    meaning: 'start tracking a pending job when it is queried',
  },
  MAX_TRACKED_JOBS: {
    type: 'int',
    default: 10_000,
    min: 1,
    max: 10_000_000,
    readBy: QUERY,
    meaning:
      'most jobs tracked while pending: past it `POST /jobs` gets 503 `TooManyTrackedJobs` ' +
      '(`Retry-After: 60`) and a query starts no tracking',
  },
  JOB_STORE_URL: {
    type: 'string',
    default: 'file:.data/jobs.db',
    deployDefault: '',
    readBy: QS,
    meaning:
      'where tracked jobs live: `redis://[user:password@]host:port[/db]` or `rediss://…` (ApsaraDB for ' +
      'Redis / Tair; the store for FC), or `file:`/`sqlite:` for the embedded store (local runs only)',
  },
  JOB_STORE_PREFIX: {
    type: 'string',
    default: 'aicontent-jobs:',
    readBy: QS,
    meaning: 'Redis key prefix (several deployments can share one instance)',
  },
  JOB_STORE_ALLOW_LOCAL_DISK: {
    type: 'bool',
    default: false,
    local: true,
    readBy: QS,
    meaning:
      "allow the embedded store on an instance's own disk: set by `npm start` only, never in the cloud",
  },
  SWEEP_BATCH_SIZE: {
    type: 'int',
    default: 500,
    min: 1,
    max: 100_000,
    readBy: SWEEPER,
    meaning: 'most jobs one sweep claims',
  },
  SWEEP_CONCURRENCY: {
    type: 'int',
    default: 16,
    min: 1,
    max: 512,
    readBy: SWEEPER,
    meaning: 'most aicontent requests in flight',
  },
  LEASE_SECONDS: {
    type: 'int',
    default: 120,
    min: 5,
    max: 86_400,
    readBy: SWEEPER,
    meaning:
      "how long a claimed job is reserved to one sweeper; must be above the sweeper's timeout (60 s in s.yaml)",
  },
  SWEEP_SAFETY_MARGIN_SECONDS: {
    type: 'int',
    default: 5,
    min: 1,
    max: 600,
    readBy: SWEEPER,
    meaning: 'stop claiming when less than this is left of the invocation',
  },
  POLL_INTERVAL_SECONDS: {
    type: 'int',
    default: 10,
    min: 1,
    max: 86_400,
    readBy: SWEEPER,
    meaning: 'first wait between polls of a pending job',
  },
  POLL_BACKOFF_PERCENT: {
    type: 'int',
    default: 150,
    min: 100,
    max: 1000,
    readBy: SWEEPER,
    meaning: 'growth of the wait per poll (150 = ×1.5)',
  },
  MAX_POLL_INTERVAL_SECONDS: {
    type: 'int',
    default: 300,
    min: 1,
    max: 86_400,
    readBy: SWEEPER,
    meaning: 'longest wait between polls',
  },
  POLL_JITTER: {
    type: 'enum',
    default: 'full',
    values: ['full', 'none'],
    readBy: SWEEPER,
    meaning: '`full`: a random wait up to the backoff ceiling; `none`: exactly the ceiling',
  },
  MAX_POLL_ATTEMPTS: {
    type: 'int',
    default: 200,
    min: 1,
    max: 1_000_000,
    readBy: SWEEPER,
    meaning: 'give up (`gave_up`) after this many polls',
  },
  MAX_JOB_AGE_SECONDS: {
    type: 'int',
    default: 86_400,
    min: 60,
    max: 2_592_000,
    readBy: SWEEPER,
    meaning: 'give up on a job tracked longer than this',
  },
  NOTIFY_RETRY_SECONDS: {
    type: 'int',
    default: 30,
    min: 1,
    max: 3600,
    readBy: SWEEPER,
    meaning: 'first wait before retrying a failed notification (doubling, at most 1 h)',
  },
  NOTIFY_MAX_ATTEMPTS: {
    type: 'int',
    default: 20,
    min: 1,
    max: 1000,
    readBy: SWEEPER,
    meaning:
      'tries of a notification, one per sweep at most, before it ends `failed` (with `NOTIFY_RETRY_SECONDS` ' +
      'at 30: about 13 h); a failure no later try can mend ends it at once',
  },
  NOTIFY_FUNCTION: {
    type: 'string',
    default: '',
    readBy: SWEEPER,
    meaning:
      'default target: an FC function, invoked asynchronously (e.g. `aicontent-jobs-on-job-done`, the ' +
      'example; `npm start` uses it when neither this nor `NOTIFY_URL` is set)',
  },
  NOTIFY_FUNCTION_QUALIFIER: {
    type: 'string',
    default: '',
    readBy: SWEEPER,
    meaning: "the default target's version or alias",
  },
  NOTIFY_FC2_SERVICE: {
    type: 'string',
    default: '',
    readBy: SWEEPER,
    meaning: 'with `NOTIFY_FUNCTION`: a function in this FC 2.0 service',
  },
  NOTIFY_URL: {
    type: 'string',
    default: '',
    readBy: SWEEPER,
    meaning: 'default target: a webhook (exclusive with `NOTIFY_FUNCTION`)',
  },
  NOTIFY_WEBHOOK_SECRET: {
    type: 'string',
    default: '',
    secret: true,
    readBy: QS,
    meaning:
      'signs webhooks (at least 16 characters; required for webhook targets). The query function only ' +
      'checks that it is set: without it, `POST /jobs` refuses URL targets',
  },
  NOTIFY_ALLOW_HTTP: {
    type: 'bool',
    default: false,
    local: true,
    readBy: QS,
    meaning:
      'accept `http:` webhook URLs (receivers on loopback): set by `npm start` only, never in the cloud',
  },
  NOTIFY_TARGETS_ALLOWED: {
    type: 'string',
    default: '',
    readBy: QS,
    meaning:
      'the targets `POST /jobs` may name: comma-separated `fn:<function>`, `fc2:<service>/<function>` ' +
      '(both may hold `*`), `url:<URL prefix ending in />`; others get 400, and a stored one it no longer ' +
      'allows is not sent to (the notification ends `failed`). Empty: none (deny by default). The ' +
      'default target needs no entry',
  },
  NOTIFY_ALLOW_PRIVATE_ADDRESSES: {
    type: 'bool',
    default: false,
    readBy: QS,
    meaning:
      'let webhooks reach addresses that are not public unicast (loopback, private, link-local…): set by ' +
      '`npm start`; in the cloud only for a receiver inside your VPC, with URL targets kept to it by ' +
      '`NOTIFY_TARGETS_ALLOWED`',
  },
  // Not FC_*: FC reserves that prefix for the variables it sets itself.
  NOTIFY_FC_ENDPOINT: {
    type: 'string',
    default: '',
    readBy: SWEEPER,
    meaning: 'explicit FC endpoint for `InvokeFunction` (default: from account and region)',
  },
  NOTIFY_FC_INTERNAL: {
    type: 'bool',
    default: true,
    readBy: SWEEPER,
    meaning: "use FC's VPC-internal endpoint for `InvokeFunction`",
  },

  // Deployment settings: read by s.yaml only.
  S_ACCESS: deployment('default', 'the Serverless Devs access alias (`s config add`)'),
  REGION: deployment('cn-shanghai', 'the region the functions are deployed to'),
  QUERY_ROLE: deployment(
    'aicontent-jobs-query-role',
    'the RAM role the query function runs as: `ram/query-policy.json` (the aicontent query action only)',
  ),
  SWEEPER_ROLE: deployment(
    'aicontent-jobs-sweeper-role',
    'the RAM role the sweeper runs as: `ram/sweeper-policy.json` (the aicontent query action, and ' +
      '`fc:InvokeFunction` on the notify targets)',
  ),
  ON_JOB_DONE_ROLE: deployment(
    '',
    'the RAM role on-job-done runs as; none by default, as the example calls nothing (its ' +
      '`context.credentials` is then empty): give your next step a role of its own when it calls cloud APIs',
  ),
  HTTP_AUTH_TYPE: {
    type: 'enum',
    default: 'function',
    values: ['function', 'anonymous', 'jwt'],
    deploy: true,
    readBy: [],
    meaning:
      "the query function's HTTP trigger auth: `function` (ACS3-signed requests), `anonymous`, or `jwt` " +
      '(also needs an `authConfig` in s.yaml)',
  },
  SWEEP_SCHEDULE: deployment('@every 1m', "the sweeper's timer: `@every <n>m` or a 6-field UTC cron"),
  // The job store's network: the functions that open the store (query, sweeper) join its VPC.
  VPC_ID: requiredForDeployment(
    'the VPC of your Redis/Tair instance (`vpc-…`); the query and sweeper functions join it',
  ),
  VSWITCH_IDS: requiredForDeployment(
    'comma-separated vSwitches of that VPC (`vsw-a,vsw-b`) the functions take their addresses from; ' +
      "each in a zone FC supports, and inside the Redis/Tair instance's IP whitelist",
  ),
  SECURITY_GROUP_ID: requiredForDeployment(
    "a security group of that VPC (`sg-…`) for the functions' network interfaces; its outbound rules " +
      "must let them reach Redis/Tair's port (the default rules do)",
  ),
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

type SettingsOf<T extends Setting['type']> = {
  [K in SettingName]: (typeof SETTINGS)[K] extends { type: T } ? K : never;
}[SettingName];

export type StringSetting = SettingsOf<'string'>;
export type IntSetting = SettingsOf<'int'>;
export type BoolSetting = SettingsOf<'bool'>;
export type EnumSetting = SettingsOf<'enum'>;

/** The default as s.yaml writes it (`${env('NAME', '<this>')}`). */
export function deployedDefault(setting: Setting): string {
  return setting.deployDefault ?? String(setting.default);
}

/**
 * What FC itself sets in every instance (reserved: the `FC_` prefix is FC's). The functions read some
 * of them (e.g. FC_FUNCTION_NAME, to know they run on FC); s.yaml must not set them.
 */
export const FC_PROVIDED = [
  'FC_FUNC_CODE_PATH',
  'FC_ACCOUNT_ID',
  'FC_FUNCTION_HANDLER',
  'FC_FUNCTION_MEMORY_SIZE',
  'FC_FUNCTION_NAME',
  'FC_REGION',
  'FC_CUSTOM_LISTEN_PORT',
  'FC_INSTANCE_ID',
  'FC_VER_ID',
  'FC_FUNCTION_VERSION',
  'ALIBABA_CLOUD_ACCESS_KEY_ID',
  'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  'ALIBABA_CLOUD_SECURITY_TOKEN',
] as const;
