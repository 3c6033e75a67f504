import { describe, expect, it } from 'vitest';
import { credentialsFromEnv } from '#shared/credentials.ts';
import { ConfigError } from '#shared/errors.ts';

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
