import { describe, expect, it } from 'vitest';
import { UsageError } from '#local/cli/cliSupport.ts';
import { DEFAULT_PORT, parseRuntimeArgs } from '#local/runtime/cliArgs.ts';

describe('parseRuntimeArgs', () => {
  it('defaults: port 9000, bundle mode, ./s.yaml, no emulator', () => {
    expect(parseRuntimeArgs([], {})).toEqual({
      help: false,
      port: DEFAULT_PORT,
      mode: 'bundle',
      emulatorUrl: undefined,
      sYamlPath: 's.yaml',
      rootFunction: undefined,
    });
  });

  it('reads every flag, in both spellings', () => {
    expect(
      parseRuntimeArgs(
        [
          '--port=0',
          '--source',
          '--emulator',
          'http://127.0.0.1:9100/',
          '--s-yaml',
          'x/s.yaml',
          '--root',
          'query',
        ],
        {},
      ),
    ).toEqual({
      help: false,
      port: 0,
      mode: 'source',
      emulatorUrl: 'http://127.0.0.1:9100',
      sYamlPath: 'x/s.yaml',
      rootFunction: 'query',
    });
    expect(parseRuntimeArgs(['-h'], {}).help).toBe(true);
  });

  it('takes PORT from the environment, the flag first', () => {
    expect(parseRuntimeArgs([], { PORT: '8080' }).port).toBe(8080);
    expect(parseRuntimeArgs(['--port', '7070'], { PORT: '8080' }).port).toBe(7070);
  });

  it.each([
    [['--port', 'abc'], /whole number from 0 to 65535, not "abc"/],
    [['--port', '70000'], /whole number from 0 to 65535/],
    [['--emulator', 'localhost:9100'], /--emulator must be an http\(s\) URL/],
    [['--emulator', 'not a url'], /--emulator needs a URL/],
    [['--nope'], /Unknown option '--nope'/],
    [['stray'], /Unexpected argument 'stray'/],
    [['--port'], /argument missing/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseRuntimeArgs(argv, {})).toThrow(UsageError);
    expect(() => parseRuntimeArgs(argv, {})).toThrow(message);
  });
});
