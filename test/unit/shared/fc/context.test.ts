import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/errors.ts';
import { credentialsFromContext, withDeadline } from '#shared/fc/context.ts';
import { FAKE_CREDENTIALS, fcContext } from '#test/helpers/fc.ts';

describe('credentialsFromContext', () => {
  it('reads the STS triple from the invocation context', async () => {
    expect(await credentialsFromContext(fcContext())()).toEqual(FAKE_CREDENTIALS);
  });

  it('reads the context at each call, not once', async () => {
    const context: { credentials: Record<string, string> } = { credentials: { ...FAKE_CREDENTIALS } };
    const provider = credentialsFromContext(context);
    context.credentials = { ...FAKE_CREDENTIALS, securityToken: 'rotated' };
    expect(await provider()).toMatchObject({ securityToken: 'rotated' });
  });

  it('explains a missing role', () => {
    expect(() => credentialsFromContext(fcContext({ credentials: {} }))()).toThrow(ConfigError);
    expect(() => credentialsFromContext(fcContext({ credentials: {} }))()).toThrow(/RAM role/);
  });
});

describe('withDeadline', () => {
  it('computes the deadline from the function timeout and the start', () => {
    let clock = 1_000_000;
    const context = withDeadline(fcContext(), clock, () => clock);
    expect(context.deadline).toBe(1_030_000);
    clock += 12_000;
    expect(context.getRemainingTimeInMillis()).toBe(18_000);
    expect(context.requestId).toBe(fcContext().requestId);
  });

  it("falls back to FC's 3 s default when the timeout is missing or odd", () => {
    const odd = fcContext({ function: { name: 'f', handler: 'h', memory: 128, timeout: Number.NaN } });
    expect(withDeadline(odd, 0).deadline).toBe(3000);
  });
});
