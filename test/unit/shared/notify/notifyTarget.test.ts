import { describe, expect, it } from 'vitest';
import { type Env, readDefaultTargetSettings, readTrackingConfig } from '#shared/config.ts';
import { ConfigError, InvalidInputError } from '#shared/errors.ts';
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';
import { describeTarget } from '#shared/notify/describeTarget.ts';
import { defaultNotifyTarget, parseNotifyTarget, type TargetRules } from '#shared/notify/notifyTarget.ts';
import { targetAllowlist } from '#shared/notify/targetAllowlist.ts';

/** The allowlist as the functions build it: its setting read by config.ts, then parsed. */
const allowlistFromEnv = (env: Env) => targetAllowlist(readTrackingConfig(env).notifyTargetsAllowed);

/** The default target as the sweeper builds it: its settings read by config.ts, then checked. */
const defaultTargetFromEnv = (env: Env, rules?: TargetRules) =>
  defaultNotifyTarget(readDefaultTargetSettings(env), rules);

/** Rules that allow any function and any webhook on example.com. */
const open = {
  allowed: targetAllowlist('fn:*, fc2:*/*, url:https://example.com/'),
};

describe('parseNotifyTarget', () => {
  it.each([
    [{ function: 'on-job-done' }, { type: 'function', name: 'on-job-done' }],
    [
      { function: 'legacy$on_done', qualifier: 'LIVE' },
      { type: 'function', name: 'legacy$on_done', qualifier: 'LIVE' },
    ],
    [
      { fc2: { service: 'legacy', function: 'on-done' } },
      { type: 'fc2', service: 'legacy', name: 'on-done' },
    ],
    [
      { fc2: { service: 'legacy', function: 'on-done', qualifier: '3' } },
      { type: 'fc2', service: 'legacy', name: 'on-done', qualifier: '3' },
    ],
    [
      { url: 'https://example.com/hooks?token=x' },
      { type: 'webhook', url: 'https://example.com/hooks?token=x' },
    ],
  ])('maps %j', (input, target) => {
    expect(parseNotifyTarget(input, open)).toEqual(target);
  });

  it('gives null (the default target) for a missing or null field', () => {
    expect(parseNotifyTarget(undefined)).toBeNull();
    expect(parseNotifyTarget(null)).toBeNull();
  });

  it.each([
    ['a string', 'on-job-done', /must be an object like/],
    ['an array', [], /must be an object like/],
    ['nothing to notify', {}, /exactly one of "function", "fc2" or "url"/],
    ['two kinds', { function: 'f', url: 'https://x.test' }, /exactly one of/],
    ['the stored form', { type: 'function', name: 'f' }, /exactly one of/],
    ['an unknown field', { function: 'f', retries: 3 }, /unknown field retries in notify/],
    ['a qualifier on a webhook', { url: 'https://x.test', qualifier: 'LIVE' }, /unknown field qualifier/],
    ['a name that is not a string', { function: 42 }, /notify.function must be a string/],
    ['a name starting with a digit', { function: '9lives' }, /function name "9lives" is not valid/],
    ['a name starting with "-"', { function: '-f' }, /not starting with a digit or "-"/],
    ['a name with a slash', { function: 'a/b' }, /is not valid/],
    ['a name too long', { function: `f${'x'.repeat(128)}` }, /1 to 128/],
    ['an empty name', { function: '' }, /function name "" is not valid/],
    ['a dotted qualifier', { function: 'f', qualifier: 'a.b' }, /qualifier "a.b" is not valid/],
    ['fc2 not an object', { fc2: 'legacy/on-done' }, /notify.fc2 must be an object/],
    ['fc2 without a service', { fc2: { function: 'f' } }, /notify.fc2.service must be a string/],
    ['fc2 with "$"', { fc2: { service: 's', function: 'a$b' } }, /FC 2.0 function name "a\$b"/],
    [
      'fc2 with an unknown field',
      { fc2: { service: 's', function: 'f', x: 1 } },
      /unknown field x in notify.fc2/,
    ],
    ['a relative URL', { url: '/hooks' }, /not an absolute URL/],
    ['an http URL', { url: 'http://example.com/hooks' }, /must use https:, not http:/],
    ['another scheme', { url: 'ftp://example.com/' }, /must use https:/],
    ['credentials in the URL', { url: 'https://user:pw@example.com/' }, /user name or password/],
    ['a URL too long', { url: `https://example.com/${'x'.repeat(2048)}` }, /over 2048 characters/],
  ])('refuses %s with a 400 saying why', (_, input, message) => {
    let error: unknown;
    try {
      parseNotifyTarget(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ statusCode: 400, code: 'InvalidNotifyTarget' });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/^notify: /);
  });

  it('takes an http URL to loopback when allowed (the local runtime)', () => {
    const local = {
      allowHttp: true,
      allowPrivateAddresses: true,
      allowed: targetAllowlist('url:http://127.0.0.1:9000/'),
    };
    expect(parseNotifyTarget({ url: 'http://127.0.0.1:9000/hook' }, local)).toEqual({
      type: 'webhook',
      url: 'http://127.0.0.1:9000/hook',
    });
  });

  it('accepts no per-job target by default, and says how to allow one', () => {
    for (const input of [
      { function: 'prod-billing-delete-everything', qualifier: 'LIVE' },
      { fc2: { service: 's', function: 'f' } },
      { url: 'https://example.com/hook' },
    ]) {
      expect(() => parseNotifyTarget(input)).toThrow(InvalidInputError);
      expect(() => parseNotifyTarget(input)).toThrow(
        /accepts no per-job notify target.*NOTIFY_TARGETS_ALLOWED/,
      );
      expect(() => parseNotifyTarget(input, { allowed: allowlistFromEnv({}) })).toThrow(
        /leave notify out to use its default target/,
      );
    }
  });

  it.each([
    '127.0.0.1',
    '127.1',
    '2130706433',
    '0x7f.0.0.1',
    '0177.0.0.1',
    'localhost',
    'hooks.localhost',
    '[::1]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[64:ff9b::7f00:1]',
    '169.254.169.254',
    '100.100.100.200',
    '10.0.0.5',
    '192.168.1.1',
    '[fd00:ec2::254]',
    '[fe80::1]',
    '0.0.0.0',
    '[::]',
    '224.0.0.1',
    '255.255.255.255',
    '192.0.2.1',
    '[2001:db8::1]',
  ])('refuses a webhook to %s, however it is spelt, unless private addresses are allowed', (host) => {
    const rules = {
      allowed: targetAllowlist(`url:https://${host}/`),
    };
    const input = { url: `https://${host}/hook` };
    expect(() => parseNotifyTarget(input, rules)).toThrow(
      /is a [a-z0-9-]+ address: webhooks go to public addresses only/,
    );
    expect(parseNotifyTarget(input, { ...rules, allowPrivateAddresses: true })).toMatchObject({
      type: 'webhook',
    });
  });

  it('takes a webhook to a public address or a host name (checked again when sent)', () => {
    const rules = {
      allowed: targetAllowlist('url:https://8.8.8.8/, url:https://hooks.example.com/'),
    };
    expect(parseNotifyTarget({ url: 'https://8.8.8.8/hook' }, rules)).toMatchObject({ type: 'webhook' });
    expect(parseNotifyTarget({ url: 'https://hooks.example.com/hook' }, rules)).toMatchObject({
      type: 'webhook',
    });
  });

  it('refuses a webhook when the deployment cannot sign webhooks', () => {
    expect(() =>
      parseNotifyTarget({ url: 'https://example.com/hook' }, { ...open, webhooksSigned: false }),
    ).toThrow(/cannot sign webhooks \(no NOTIFY_WEBHOOK_SECRET\)/);
    expect(parseNotifyTarget({ function: 'f' }, { ...open, webhooksSigned: false })).toMatchObject({
      type: 'function',
    });
    expect(
      parseNotifyTarget({ url: 'https://example.com/hook' }, { ...open, webhooksSigned: true }),
    ).toMatchObject({
      type: 'webhook',
    });
  });

  it('keeps a webhook URL in the canonical form its signatures use', () => {
    expect(parseNotifyTarget({ url: 'HTTPS://Example.COM:443/a b?x=1#frag' }, open)).toEqual({
      type: 'webhook',
      url: 'https://example.com/a%20b?x=1',
    });
    expect(defaultTargetFromEnv({ NOTIFY_URL: 'https://Example.com' })).toEqual({
      type: 'webhook',
      url: 'https://example.com/',
    });
  });

  it('does not echo a URL it cannot read', () => {
    expect(() => parseNotifyTarget({ url: 'no?token=secret-token' }, open)).toThrow(
      'notify: the webhook URL is not an absolute URL',
    );
  });
});

describe('targetAllowlist (NOTIFY_TARGETS_ALLOWED)', () => {
  const allowlist = (text: string) => {
    const read = targetAllowlist(text);
    if (!read) throw new Error('expected an allowlist');
    return read;
  };
  const fn = (name: string): NotifyTarget => ({ type: 'function', name });
  const hook = (url: string): NotifyTarget => ({ type: 'webhook', url });

  it('allows no target when unset or empty', () => {
    for (const env of [{}, { NOTIFY_TARGETS_ALLOWED: '' }, { NOTIFY_TARGETS_ALLOWED: ' ' }]) {
      const allowed = allowlistFromEnv(env);
      expect([fn('on-job-done'), hook('https://hooks.example.test/')].some(allowed.allows)).toBe(false);
    }
  });

  it('matches function names, with * for any run of characters', () => {
    const allowed = allowlist('fn:on-job-done, fn:store-*');
    expect([fn('on-job-done'), fn('store-images'), fn('store-')].every(allowed.allows)).toBe(true);
    expect([fn('on-job-done2'), fn('restore-images'), fn('x')].some(allowed.allows)).toBe(false);
    expect(allowed.allows({ type: 'fc2', service: 'on-job-done', name: 'on-job-done' })).toBe(false);
    expect(allowlist('fn:a.b').allows(fn('aXb'))).toBe(false); // `.` is itself, not "any character"
  });

  it('matches FC 2.0 service and function names', () => {
    const allowed = allowlist('fc2:legacy/on-*');
    expect(allowed.allows({ type: 'fc2', service: 'legacy', name: 'on-done' })).toBe(true);
    expect(allowed.allows({ type: 'fc2', service: 'other', name: 'on-done' })).toBe(false);
    expect(allowed.allows(fn('on-done'))).toBe(false);
  });

  it('matches webhook URLs by prefix, as they are sent: no look-alike host, no way out of the path', () => {
    const allowed = allowlist('url:https://hooks.example.test/aicontent/');
    expect(allowed.allows(hook('https://hooks.example.test/aicontent/done?t=1'))).toBe(true);
    expect(allowed.allows(hook('https://HOOKS.example.test:443/aicontent/done'))).toBe(true);
    for (const url of [
      'https://hooks.example.test.evil.test/aicontent/',
      'https://hooks.example.test/aicontent/../admin',
      'https://hooks.example.test/aicontentX',
      'http://hooks.example.test/aicontent/',
      'not a url',
    ]) {
      expect(allowed.allows(hook(url)), url).toBe(false);
    }
  });

  it('allows nothing per job when it holds no entry', () => {
    expect(allowlist(' , ').allows(fn('on-job-done'))).toBe(false);
  });

  it.each([
    'on-job-done',
    'fn:',
    'fc2:legacy',
    'fc2:a/b/c',
    'url:https://hooks.example.test',
    'url:ftp://hooks.example.test/',
    'url:/relative/',
    'email:a@b.test',
  ])('refuses the entry %j with a ConfigError naming the setting', (entry) => {
    expect(() => targetAllowlist(`fn:ok,${entry}`)).toThrow(ConfigError);
    expect(() => targetAllowlist(entry)).toThrow(/NOTIFY_TARGETS_ALLOWED/);
  });

  it('makes parseNotifyTarget refuse (400) a target it does not allow, saying which setting', () => {
    const allowed = allowlist('fn:on-job-done');
    expect(parseNotifyTarget({ function: 'on-job-done' }, { allowed })).toEqual(fn('on-job-done'));
    expect(() => parseNotifyTarget({ function: 'elsewhere' }, { allowed })).toThrow(InvalidInputError);
    expect(() => parseNotifyTarget({ function: 'elsewhere' }, { allowed })).toThrow(
      'notify: function elsewhere is not allowed here (NOTIFY_TARGETS_ALLOWED: fn:on-job-done)',
    );
  });
});

describe('defaultNotifyTarget (NOTIFY_FUNCTION, NOTIFY_URL…)', () => {
  it('reads each kind of target', () => {
    expect(defaultTargetFromEnv({ NOTIFY_FUNCTION: 'on-done' })).toEqual({
      type: 'function',
      name: 'on-done',
    });
    expect(defaultTargetFromEnv({ NOTIFY_FUNCTION: 'on-done', NOTIFY_FUNCTION_QUALIFIER: 'LIVE' })).toEqual({
      type: 'function',
      name: 'on-done',
      qualifier: 'LIVE',
    });
    expect(
      defaultTargetFromEnv({
        NOTIFY_FUNCTION: 'on-done',
        NOTIFY_FC2_SERVICE: 'legacy',
        NOTIFY_FUNCTION_QUALIFIER: '2',
      }),
    ).toEqual({ type: 'fc2', service: 'legacy', name: 'on-done', qualifier: '2' });
    expect(defaultTargetFromEnv({ NOTIFY_URL: ' https://example.com/h ' })).toEqual({
      type: 'webhook',
      url: 'https://example.com/h',
    });
  });

  it('gives null when nothing is configured (blank counts as unset)', () => {
    expect(defaultTargetFromEnv({})).toBeNull();
    expect(defaultTargetFromEnv({ NOTIFY_FUNCTION: ' ', NOTIFY_URL: '' })).toBeNull();
  });

  it.each([
    [{ NOTIFY_FUNCTION: 'f', NOTIFY_URL: 'https://x.test' }, /not both/],
    [{ NOTIFY_FUNCTION_QUALIFIER: 'LIVE' }, /need NOTIFY_FUNCTION/],
    [{ NOTIFY_FC2_SERVICE: 'legacy' }, /need NOTIFY_FUNCTION/],
    [{ NOTIFY_FUNCTION: '1f' }, /^NOTIFY_FUNCTION: function name "1f" is not valid/],
    [{ NOTIFY_FUNCTION: 'f', NOTIFY_FC2_SERVICE: 'le$gacy' }, /^NOTIFY_FUNCTION: FC 2.0 service name/],
    [{ NOTIFY_URL: 'http://example.com' }, /^NOTIFY_URL: the webhook URL must use https:/],
  ])('refuses %j with a configuration error', (env, message) => {
    expect(() => defaultTargetFromEnv(env)).toThrow(ConfigError);
    expect(() => defaultTargetFromEnv(env)).toThrow(message);
  });

  it('takes an http URL to loopback when allowed', () => {
    expect(
      defaultTargetFromEnv(
        { NOTIFY_URL: 'http://127.0.0.1:9000/h' },
        { allowHttp: true, allowPrivateAddresses: true },
      ),
    ).toMatchObject({
      type: 'webhook',
    });
  });

  it('refuses a default webhook to an address that is not public unless allowed', () => {
    expect(() => defaultTargetFromEnv({ NOTIFY_URL: 'https://10.0.0.5/h' })).toThrow(
      /^NOTIFY_URL: the webhook URL's host 10.0.0.5 is a private address.*NOTIFY_ALLOW_PRIVATE_ADDRESSES/,
    );
    expect(
      defaultTargetFromEnv({ NOTIFY_URL: 'https://10.0.0.5/h' }, { allowPrivateAddresses: true }),
    ).toMatchObject({ type: 'webhook' });
  });
});

describe('describeTarget', () => {
  it('names each kind, and leaves out a URL’s query', () => {
    expect(describeTarget({ type: 'function', name: 'f', qualifier: 'LIVE' })).toBe('function f:LIVE');
    expect(describeTarget({ type: 'fc2', service: 's', name: 'f' })).toBe('fc2 s/f');
    expect(describeTarget({ type: 'webhook', url: 'https://example.com/h?token=secret' })).toBe(
      'webhook https://example.com/h',
    );
    expect(describeTarget({ type: 'webhook', url: 'nope' })).toBe('webhook (invalid URL)');
  });
});
