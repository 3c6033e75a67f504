/**
 * Temporary (STS) credentials the emulator accepts without storing them.
 *
 * The AccessKey secret is an HMAC of the AccessKey id under the emulator's master key, and the security
 * token carries the AccessKey id and the expiry in clear plus an HMAC over them. So any emulator holding
 * the master key can check a triple it minted: nothing to remember, nothing to expire.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { GatewayCode } from './gatewayErrors.ts';

/** Real STS AccessKey ids start with `STS.`; ours add `EMU` so they cannot be mistaken for real ones. */
export const STS_ACCESS_KEY_PREFIX = 'STS.';
// Real tokens start with `CAIS`; the `EMU` after it says whose token this is.
const TOKEN_PREFIX = 'CAISEMU';

export interface StsCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
  /** UTC, whole seconds, as STS writes it (`2024-07-12T07:44:19Z`). */
  expiration: string;
}

export type TokenCheck =
  | { ok: true; accessKeySecret: string }
  | {
      ok: false;
      code: Extract<GatewayCode, `InvalidSecurityToken.${string}`>;
      message: string;
    };

interface TokenClaims {
  /** The AccessKey id the token was minted for. */
  ak: string;
  /** Expiry, epoch milliseconds. */
  exp: number;
}

/** What verification needs of an STS issuer: the secret behind a live token, or why there is none. */
export interface TokenChecker {
  check(accessKeyId: string, token: string, now: number): TokenCheck;
}

export class StsIssuer implements TokenChecker {
  readonly #masterKey: Buffer;

  constructor(masterKey: Buffer = randomBytes(32)) {
    this.#masterKey = masterKey;
  }

  mint(now: number, ttlMs: number): StsCredentials {
    const accessKeyId = `${STS_ACCESS_KEY_PREFIX}EMU${randomBytes(12).toString('hex').toUpperCase()}`;
    const exp = Math.floor((now + ttlMs) / 1000) * 1000;
    const payload = Buffer.from(JSON.stringify({ ak: accessKeyId, exp } satisfies TokenClaims)).toString(
      'base64url',
    );
    return {
      accessKeyId,
      accessKeySecret: this.#secretFor(accessKeyId),
      securityToken: `${TOKEN_PREFIX}.${payload}.${this.#mac(payload)}`,
      expiration: `${new Date(exp).toISOString().slice(0, 19)}Z`,
    };
  }

  /** Checks a token presented with `accessKeyId`; on success returns the secret to verify the signature with. */
  check(accessKeyId: string, token: string, now: number): TokenCheck {
    const [prefix, payload, mac, ...rest] = token.split('.');
    if (prefix !== TOKEN_PREFIX || payload === undefined || mac === undefined || rest.length > 0) {
      return {
        ok: false,
        code: 'InvalidSecurityToken.Malformed',
        message: 'Not a token this emulator minted.',
      };
    }
    const expected = Buffer.from(this.#mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return {
        ok: false,
        code: 'InvalidSecurityToken.Malformed',
        message: 'The token signature is invalid.',
      };
    }
    // The MAC is ours, so the payload is the JSON `mint` wrote.
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as TokenClaims;
    if (claims.ak !== accessKeyId) {
      return {
        ok: false,
        code: 'InvalidSecurityToken.MismatchWithAccessKey',
        message: `The token was issued for ${claims.ak}, not ${accessKeyId}.`,
      };
    }
    if (claims.exp <= now) {
      return {
        ok: false,
        code: 'InvalidSecurityToken.Expired',
        message: `The token expired at ${new Date(claims.exp).toISOString()}.`,
      };
    }
    return { ok: true, accessKeySecret: this.#secretFor(accessKeyId) };
  }

  #secretFor(accessKeyId: string): string {
    return createHmac('sha256', this.#masterKey).update(`secret\n${accessKeyId}`).digest('base64url');
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#masterKey).update(`token\n${payload}`).digest('base64url');
  }
}
