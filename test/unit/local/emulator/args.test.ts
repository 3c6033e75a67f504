import { describe, expect, it } from 'vitest';
import { UsageError } from '#local/cli/cliSupport.ts';
import { DEFAULT_PORT, parseEmulatorArgs } from '#local/emulator/args.ts';
import { startupBanner } from '#local/emulator/banner.ts';
import { FAKE_ACCESS_KEY_ID, FAKE_ACCESS_KEY_SECRET } from '#local/emulator/emulator.ts';

describe('parseEmulatorArgs', () => {
  it('defaults to port 9100 and the fake AccessKey pair', () => {
    expect(parseEmulatorArgs([], {})).toEqual({
      help: false,
      quiet: false,
      port: DEFAULT_PORT,
      host: '127.0.0.1',
      accessKeyId: FAKE_ACCESS_KEY_ID,
      accessKeySecret: FAKE_ACCESS_KEY_SECRET,
      keySource: 'built-in',
    });
    expect(FAKE_ACCESS_KEY_ID).toContain('EMULATOR');
    expect(FAKE_ACCESS_KEY_SECRET).toContain('Fake');
  });

  it('takes the port from --port over PORT', () => {
    expect(parseEmulatorArgs(['--port', '9200'], { PORT: '9300' }).port).toBe(9200);
    expect(parseEmulatorArgs(['--port=0'], {}).port).toBe(0);
    expect(parseEmulatorArgs([], { PORT: '9300' }).port).toBe(9300);
  });

  it('takes the keys from the flags over the environment', () => {
    const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'envId', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'envSecret' };
    expect(parseEmulatorArgs(['--access-key-id', 'id', '--access-key-secret', 's'], env)).toMatchObject({
      accessKeyId: 'id',
      accessKeySecret: 's',
      keySource: 'flags',
    });
    expect(parseEmulatorArgs([], env)).toMatchObject({
      accessKeyId: 'envId',
      accessKeySecret: 'envSecret',
      keySource: 'environment',
    });
  });

  it('reads --host, --quiet and --help', () => {
    expect(parseEmulatorArgs(['--host', '0.0.0.0', '--quiet', '-h'], {})).toMatchObject({
      host: '0.0.0.0',
      quiet: true,
      help: true,
    });
  });

  it.each([
    [['--bogus'], {}, /bogus/],
    [['extra'], {}, /extra/],
    [['--port'], {}, /port/],
    [['--port', '65536'], {}, /0 to 65535/],
    [['--port', '12ab'], {}, /0 to 65535/],
    [[], { PORT: '-1' }, /0 to 65535/],
    [['--access-key-id', 'id'], {}, /go together/],
    [[], { ALIBABA_CLOUD_ACCESS_KEY_ID: 'id' }, /both/],
  ])('refuses %j %j', (argv, env, message) => {
    expect(() => parseEmulatorArgs(argv, env)).toThrow(UsageError);
    expect(() => parseEmulatorArgs(argv, env)).toThrow(message);
  });
});

describe('startupBanner', () => {
  const facts = {
    url: 'http://127.0.0.1:9100',
    demoJobId: '1',
    accessKeyId: 'AK',
    accessKeySecret: 'sEcReT-vAlUe',
  };

  it('prints the fake pair in ready-to-paste commands', () => {
    const banner = startupBanner({ ...facts, keySource: 'built-in' });
    expect(banner).toContain(
      'AICONTENT_ENDPOINT=http://127.0.0.1:9100 ALIBABA_CLOUD_ACCESS_KEY_ID=AK ' +
        'ALIBABA_CLOUD_ACCESS_KEY_SECRET=sEcReT-vAlUe npm run query -- 1',
    );
    expect(banner).toContain('curl -X POST http://127.0.0.1:9100/_emulator/jobs');
  });

  it.each(['flags', 'environment'] as const)('never prints a secret from %s', (keySource) => {
    const banner = startupBanner({ ...facts, keySource });
    expect(banner).not.toContain('sEcReT-vAlUe');
    expect(banner).toContain('AK');
  });
});
