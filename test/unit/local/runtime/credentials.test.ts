import { describe, expect, it } from 'vitest';
import { startEmulator } from '#local/emulator/emulator.ts';
import {
  emulatorCredentialsSource,
  HandedOutCredentials,
  localCredentialsSource,
} from '#local/runtime/credentials.ts';
import type { Credentials } from '#shared/signing/acs3.ts';
import { acs3Invoke, startFixtureRuntime } from '#test/helpers/localRuntime.ts';
import { startScriptedServer } from '#test/helpers/scriptedServer.ts';

const now = Date.parse('2024-07-12T06:44:19Z');
const triple = (n: number, expiration?: string) => ({
  accessKeyId: `STS.K${n}`,
  accessKeySecret: `secret-${n}`,
  securityToken: `token-${n}`,
  expiration,
});

describe('HandedOutCredentials', () => {
  it('gives the secret of a live triple, and says why otherwise', () => {
    const issued = new HandedOutCredentials();
    issued.remember(triple(1, '2024-07-12T07:00:00Z'), now);
    expect(issued.check('STS.K1', 'token-1', now)).toEqual({ ok: true, accessKeySecret: 'secret-1' });
    expect(issued.check('STS.K1', 'token-2', now)).toMatchObject({
      ok: false,
      code: 'InvalidSecurityToken.MismatchWithAccessKey',
    });
    expect(issued.check('STS.K9', 'token-1', now)).toMatchObject({
      ok: false,
      code: 'InvalidSecurityToken.Malformed',
    });
    expect(issued.check('STS.K1', 'token-1', Date.parse('2024-07-12T07:00:00Z'))).toMatchObject({
      ok: false,
      code: 'InvalidSecurityToken.Expired',
    });
  });

  it('assumes an hour when the source gives no expiration', () => {
    const issued = new HandedOutCredentials();
    issued.remember(triple(1), now);
    expect(issued.check('STS.K1', 'token-1', now + 3_599_000).ok).toBe(true);
    expect(issued.check('STS.K1', 'token-1', now + 3_600_000).ok).toBe(false);
  });

  it('stays bounded: the oldest are forgotten first', () => {
    const issued = new HandedOutCredentials();
    for (let n = 0; n <= 10_000; n++) issued.remember(triple(n, '2024-07-12T08:00:00Z'), now);
    expect(issued.check('STS.K0', 'token-0', now).ok).toBe(false);
    expect(issued.check('STS.K1', 'token-1', now).ok).toBe(true);
    expect(issued.check('STS.K10000', 'token-10000', now).ok).toBe(true);
  });

  it('forgets expired triples as new ones come', () => {
    const issued = new HandedOutCredentials();
    issued.remember(triple(1, '2024-07-12T06:45:00Z'), now);
    issued.remember(triple(2, '2024-07-12T09:00:00Z'), Date.parse('2024-07-12T07:00:00Z'));
    // Gone, not merely expired: a later, longer expiry could not revive it.
    expect(issued.check('STS.K1', 'token-1', now)).toMatchObject({ code: 'InvalidSecurityToken.Malformed' });
  });

  it('refuses credentials that are not STS', () => {
    const issued = new HandedOutCredentials();
    expect(() => issued.remember({ ...triple(1), accessKeyId: 'LTAI5t' }, now)).toThrow(
      /must return STS credentials/,
    );
    expect(() => issued.remember({ ...triple(1), securityToken: '' }, now)).toThrow(
      /must return STS credentials/,
    );
  });
});

it('localCredentialsSource makes a fresh STS triple each time', async () => {
  const source = localCredentialsSource(60_000);
  const [a, b] = [await source(), await source()];
  expect(a.accessKeyId).toMatch(/^STS\.LOCAL[0-9A-F]{20}$/);
  expect(a.accessKeyId).not.toBe(b.accessKeyId);
  expect(a.accessKeySecret).not.toBe(b.accessKeySecret);
  expect(Date.parse(a.expiration ?? '') - Date.now()).toBeLessThanOrEqual(60_000);
});

describe('emulatorCredentialsSource', () => {
  it('gets STS credentials the emulator minted, which the runtime then hands out and accepts', async () => {
    const emulator = await startEmulator();
    const fixture = await startFixtureRuntime({
      credentials: emulatorCredentialsSource(emulator.url, 60_000),
    });
    try {
      const outcome = await fixture.runtime.invoke('echo', 'x');
      if (!outcome.ok || outcome.result.type !== 'json') throw new Error('echo failed');
      const { credentials } = (JSON.parse(outcome.result.json) as { context: { credentials: Credentials } })
        .context;
      expect(credentials.accessKeyId).toMatch(/^STS\.EMU/);
      const chained = await acs3Invoke(fixture.runtime, {
        functionName: 'fixture-echo',
        body: 'y',
        credentials,
      });
      expect(chained.status).toBe(200);
    } finally {
      await Promise.all([fixture.runtime.close(), emulator.close()]);
    }
  });

  it('says what the emulator answered when it refuses', async () => {
    const server = await startScriptedServer([], { status: 503, body: 'busy' });
    try {
      await expect(emulatorCredentialsSource(server.url)()).rejects.toThrow(
        /_emulator\/sts answered 503: busy/,
      );
    } finally {
      await server.close();
    }
  });
});
