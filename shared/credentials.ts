/**
 * Where signing credentials come from. A provider is asked on every request (FC's STS credentials
 * rotate, so nothing may cache them at module scope); `refresh: true` asks it to drop anything it
 * holds, which the client does once after the gateway says the security token is no longer valid.
 * Functions take the invocation's (`credentialsFromContext`, fc/context.ts); the command line takes the
 * environment's (`credentialsFromEnv`, config.ts).
 */
import type { Credentials } from '#shared/signing/acs3.ts';

export type { Credentials } from '#shared/signing/acs3.ts';

export type CredentialsProvider = (options?: { refresh?: boolean }) => Credentials | Promise<Credentials>;
