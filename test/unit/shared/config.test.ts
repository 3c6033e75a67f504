import { describe, expect, it } from 'vitest';
import {
  credentialsFromEnv,
  envBool,
  envEnum,
  envInt,
  envString,
  readQueryConfig,
  readSweeperConfig,
} from '#shared/config.ts';
import { ConfigError } from '#shared/errors.ts';

describe('env getters', () => {
  it('use the default when a variable is unset or blank', () => {
    expect(envString({ A: '  ' }, 'A', 'd')).toBe('d');
    expect(envInt({}, 'A', 5, { min: 1, max: 9 })).toBe(5);
    expect(envBool({ A: '' }, 'A', true)).toBe(true);
    expect(envEnum({}, 'A', ['x', 'y'], 'y')).toBe('y');
  });

  it('parse values', () => {
    expect(envInt({ A: ' 7 ' }, 'A', 5, { min: 1, max: 9 })).toBe(7);
    expect(['1', 'true', 'YES', 'on'].map((v) => envBool({ A: v }, 'A', false))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['0', 'false', 'No', 'off'].map((v) => envBool({ A: v }, 'A', true))).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(envEnum({ A: 'x' }, 'A', ['x', 'y'], 'y')).toBe('x');
  });

  it.each([
    [
      () => envInt({ N: 'ten' }, 'N', 1, { min: 1, max: 9 }),
      /N must be a whole number from 1 to 9, got "ten"/,
    ],
    [() => envInt({ N: '10' }, 'N', 1, { min: 1, max: 9 }), /N must be a whole number/],
    [() => envInt({ N: '1.5' }, 'N', 1, { min: 1, max: 9 }), /N must be a whole number/],
    [() => envBool({ B: 'maybe' }, 'B', true), /B must be true or false, got "maybe"/],
    [() => envEnum({ E: 'z' }, 'E', ['x', 'y'], 'x'), /E must be one of x, y, got "z"/],
  ])('throw a ConfigError naming the variable (%#)', (read, message) => {
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
  });
});

describe('readQueryConfig', () => {
  it('has documented defaults', () => {
    expect(readQueryConfig({})).toEqual({
      aicontentEndpoint: 'aicontent.aliyuncs.com',
      logLevel: 'info',
      aicontentMaxAttempts: 3,
      aicontentTimeoutMs: 10_000,
      pollHintSeconds: 10,
      trackOnQuery: true,
      maxTrackedJobs: 10_000,
      jobStoreUrl: 'file:.data/jobs.db',
      jobStorePrefix: 'aicontent-jobs:',
      allowHttpWebhooks: false,
      embeddedStoreAllowed: true,
      allowPrivateAddresses: false,
      notifyTargetsAllowed: '',
      webhooksSigned: false,
    });
  });

  it('reads the notify settings as given, for notifyTarget.ts to check', () => {
    const env = {
      NOTIFY_TARGETS_ALLOWED: ' fn:store-*, url:https://hooks.example.com/ ',
      NOTIFY_FUNCTION: 'on-done',
      NOTIFY_FUNCTION_QUALIFIER: 'LIVE',
      NOTIFY_FC2_SERVICE: ' ',
    };
    expect(readQueryConfig(env).notifyTargetsAllowed).toBe('fn:store-*, url:https://hooks.example.com/');
    expect(readSweeperConfig(env)).toMatchObject({
      notifyTargetsAllowed: 'fn:store-*, url:https://hooks.example.com/',
      defaultTarget: { function: 'on-done', qualifier: 'LIVE', fc2Service: undefined, url: undefined },
    });
  });

  it('reads the webhook opt-outs, and whether webhooks can be signed', () => {
    expect(
      readQueryConfig({
        NOTIFY_ALLOW_HTTP: 'true',
        NOTIFY_ALLOW_PRIVATE_ADDRESSES: '1',
        NOTIFY_WEBHOOK_SECRET: 'a-secret-of-enough-length',
      }),
    ).toMatchObject({ allowHttpWebhooks: true, allowPrivateAddresses: true, webhooksSigned: true });
    expect(readSweeperConfig({ NOTIFY_ALLOW_PRIVATE_ADDRESSES: 'off' }).allowPrivateAddresses).toBe(false);
    expect(() => readQueryConfig({ NOTIFY_ALLOW_PRIVATE_ADDRESSES: 'maybe' })).toThrow(
      /NOTIFY_ALLOW_PRIVATE_ADDRESSES must be true or false/,
    );
  });

  it('reads the sweeper settings with their defaults', () => {
    expect(readSweeperConfig({})).toMatchObject({
      policy: {
        batchSize: 500,
        concurrency: 16,
        leaseMs: 120_000,
        safetyMarginMs: 5_000,
        pollIntervalMs: 10_000,
        backoffFactor: 1.5,
        maxPollIntervalMs: 300_000,
        jitter: 'full',
        maxAttempts: 200,
        maxAgeMs: 86_400_000,
        notifyRetryMs: 30_000,
        notifyMaxAttempts: 20,
      },
      webhookSecret: undefined,
      fcEndpoint: undefined,
      fcInternal: true,
    });
    expect(readSweeperConfig({ POLL_BACKOFF_PERCENT: '200', POLL_JITTER: 'none' }).policy).toMatchObject({
      backoffFactor: 2,
      jitter: 'none',
    });
    expect(() => readSweeperConfig({ SWEEP_CONCURRENCY: '0' })).toThrow(/SWEEP_CONCURRENCY/);
  });

  it('rejects a bad LOG_LEVEL', () => {
    expect(() => readQueryConfig({ LOG_LEVEL: 'loud' })).toThrow(
      /LOG_LEVEL must be one of debug, info, warn, error/,
    );
  });
});

describe('credentialsFromEnv', () => {
  it('reads the standard variables at every call', async () => {
    const env: NodeJS.ProcessEnv = {
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'id1',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 's1',
    };
    const provider = credentialsFromEnv(env);
    expect(await provider()).toEqual({ accessKeyId: 'id1', accessKeySecret: 's1', securityToken: undefined });
    env.ALIBABA_CLOUD_SECURITY_TOKEN = 'tok';
    expect(await provider()).toMatchObject({ securityToken: 'tok' });
  });

  it('says which variables to set when they are missing', () => {
    expect(() => credentialsFromEnv({})()).toThrow(ConfigError);
    expect(() => credentialsFromEnv({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'x' })()).toThrow(
      /ALIBABA_CLOUD_ACCESS_KEY_SECRET/,
    );
  });
});
