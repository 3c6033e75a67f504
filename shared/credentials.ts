/**
 * Where signing credentials come from. A provider is asked on every request (FC's STS credentials
 * rotate, so nothing may cache them at module scope); `refresh: true` asks it to drop anything it
 * holds, which the client does once after the gateway says the security token is no longer valid.
 */
import { ConfigError } from '#shared/errors.ts';
import type { Credentials } from '#shared/signing/acs3.ts';

export type { Credentials } from '#shared/signing/acs3.ts';

export type CredentialsProvider = (options?: { refresh?: boolean }) => Credentials | Promise<Credentials>;

/**
 * The standard variables (`ALIBABA_CLOUD_ACCESS_KEY_ID`, `_SECRET`, optional `ALIBABA_CLOUD_SECURITY_TOKEN`),
 * read at every call so a rotated token is picked up. For the CLI and local tools; functions on FC use
 * the invocation's `context.credentials`.
 */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): CredentialsProvider {
  return () => {
    const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
    if (!accessKeyId || !accessKeySecret) {
      throw new ConfigError(
        'no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET ' +
          '(and ALIBABA_CLOUD_SECURITY_TOKEN for STS credentials)',
      );
    }
    return { accessKeyId, accessKeySecret, securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN || undefined };
  };
}
