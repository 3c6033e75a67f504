/**
 * The STS credentials the runtime hands each invocation (as FC does with the function role's), where
 * they come from, and the record of them that lets a function's signed InvokeFunction call be verified.
 */
import { randomBytes } from 'node:crypto';
import { STS_ACCESS_KEY_PREFIX, type TokenCheck, type TokenChecker } from '#local/emulator/sts.ts';

export interface IssuedCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
  /** ISO time; when absent the runtime assumes {@link DEFAULT_TTL_MS}. */
  expiration?: string | undefined;
}

/** Asked once per invocation (and once per instance start, for the `ALIBABA_CLOUD_*` variables). */
export type CredentialsSource = () => Promise<IssuedCredentials>;

export const DEFAULT_TTL_MS = 3_600_000;

/** Made-up STS triples: enough for functions that only call each other through this runtime. */
export function localCredentialsSource(ttlMs = DEFAULT_TTL_MS): CredentialsSource {
  return async () => ({
    accessKeyId: `${STS_ACCESS_KEY_PREFIX}LOCAL${randomBytes(10).toString('hex').toUpperCase()}`,
    accessKeySecret: randomBytes(24).toString('base64url'),
    securityToken: `CAISLOCAL${randomBytes(48).toString('base64url')}`,
    expiration: `${new Date(Date.now() + ttlMs).toISOString().slice(0, 19)}Z`,
  });
}

/** Credentials minted by the aicontent emulator (`POST /_emulator/sts`), so it accepts the functions' calls. */
export function emulatorCredentialsSource(emulatorUrl: string, ttlMs = DEFAULT_TTL_MS): CredentialsSource {
  const url = new URL('/_emulator/sts', emulatorUrl);
  return async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ttlSeconds: Math.ceil(ttlMs / 1000) }),
    });
    if (!response.ok) throw new Error(`POST ${url} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as IssuedCredentials;
  };
}

interface Issued {
  accessKeySecret: string;
  securityToken: string;
  expiresAt: number;
}

/** Enough for every invocation in flight; the oldest go first beyond it. */
const MAX_REMEMBERED = 10_000;

/**
 * The triples handed out and not yet expired, by AccessKey id: a bounded map, oldest first.
 * The emulator's `RequestVerifier` uses it as its token checker: a token is good if this runtime
 * handed it out and it has not expired.
 */
export class HandedOutCredentials implements TokenChecker {
  readonly #issued = new Map<string, Issued>();

  remember(credentials: IssuedCredentials, now: number): void {
    const { accessKeyId, accessKeySecret, securityToken, expiration } = credentials;
    if (!accessKeyId?.startsWith(STS_ACCESS_KEY_PREFIX) || !accessKeySecret || !securityToken) {
      // The verifiers tell STS keys from permanent ones by this prefix, as Alibaba Cloud does.
      throw new Error(
        `the credentials source must return STS credentials (an AccessKey id starting with ${STS_ACCESS_KEY_PREFIX}, ` +
          'a secret and a security token)',
      );
    }
    this.#forgetExpired(now);
    if (this.#issued.size >= MAX_REMEMBERED) {
      const oldest = this.#issued.keys().next().value;
      if (oldest !== undefined) this.#issued.delete(oldest);
    }
    const expiresAt = Date.parse(expiration ?? '');
    this.#issued.set(accessKeyId, {
      accessKeySecret,
      securityToken,
      expiresAt: Number.isNaN(expiresAt) ? now + DEFAULT_TTL_MS : expiresAt,
    });
  }

  /** The secret of a live triple handed out with this id and token, else why not. */
  check(accessKeyId: string, token: string, now: number): TokenCheck {
    const issued = this.#issued.get(accessKeyId);
    if (!issued) {
      return {
        ok: false,
        code: 'InvalidSecurityToken.Malformed',
        message: `AccessKey ${accessKeyId} was not handed out by this runtime.`,
      };
    }
    if (issued.securityToken !== token) {
      return {
        ok: false,
        code: 'InvalidSecurityToken.MismatchWithAccessKey',
        message: `The security token is not the one handed out with ${accessKeyId}.`,
      };
    }
    if (issued.expiresAt <= now) {
      return {
        ok: false,
        code: 'InvalidSecurityToken.Expired',
        message: `The credentials of ${accessKeyId} expired.`,
      };
    }
    return { ok: true, accessKeySecret: issued.accessKeySecret };
  }

  /** From the oldest, up to the first live one: cheap, and an expired triple left behind fails `check` anyway. */
  #forgetExpired(now: number): void {
    for (const [accessKeyId, issued] of this.#issued) {
      if (issued.expiresAt > now) return;
      this.#issued.delete(accessKeyId);
    }
  }
}
