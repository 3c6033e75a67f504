import { describe, expect, it } from 'vitest';
import { StsIssuer } from '#local/emulator/sts.ts';

const now = Date.parse('2024-07-12T06:44:19Z');

describe('StsIssuer', () => {
  const issuer = new StsIssuer();

  it('mints credentials it accepts, with the secret derived from the AccessKey id', () => {
    const minted = issuer.mint(now, 3600_000);
    expect(minted.accessKeyId).toMatch(/^STS\.EMU[0-9A-F]{24}$/);
    expect(minted.securityToken.startsWith('CAISEMU.')).toBe(true);
    expect(minted.expiration).toBe('2024-07-12T07:44:19Z');
    expect(issuer.check(minted.accessKeyId, minted.securityToken, now)).toEqual({
      ok: true,
      accessKeySecret: minted.accessKeySecret,
    });
  });

  it('expires the token at its expiration', () => {
    const minted = issuer.mint(now, 1000);
    expect(issuer.check(minted.accessKeyId, minted.securityToken, now + 999).ok).toBe(true);
    expect(issuer.check(minted.accessKeyId, minted.securityToken, now + 1000)).toMatchObject({
      code: 'InvalidSecurityToken.Expired',
    });
  });

  it('refuses tokens of another emulator (another master key)', () => {
    const minted = new StsIssuer().mint(now, 1000);
    expect(issuer.check(minted.accessKeyId, minted.securityToken, now)).toMatchObject({
      code: 'InvalidSecurityToken.Malformed',
    });
  });

  it.each(['', 'CAISEMU', 'CAISEMU.a.b.c', 'EMU.x.y'])('refuses the token %j as malformed', (token) => {
    expect(issuer.check('STS.EMUX', token, now)).toMatchObject({ code: 'InvalidSecurityToken.Malformed' });
  });
});
