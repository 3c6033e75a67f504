import { describe, expect, it } from 'vitest';
import { UsageError } from '#local/cli/cliSupport.ts';
import { DEFAULT_CONSOLE_PORT, parseConsoleArgs } from '#local/console/args.ts';

describe('npm run console arguments', () => {
  it('takes the trigger URL, and the port from --port, then CONSOLE_PORT, then 9300', () => {
    expect(parseConsoleArgs(['https://q-abc.cn-shanghai.fcapp.run'], {})).toEqual({
      help: false,
      target: 'https://q-abc.cn-shanghai.fcapp.run/',
      port: DEFAULT_CONSOLE_PORT,
    });
    expect(parseConsoleArgs(['http://127.0.0.1:9000'], { CONSOLE_PORT: '9400' }).port).toBe(9400);
    expect(parseConsoleArgs(['http://localhost:9000', '--port', '0'], { CONSOLE_PORT: '9400' }).port).toBe(0);
  });

  it('--help needs no URL', () => {
    expect(parseConsoleArgs(['--help'], {}).help).toBe(true);
  });

  it.each([
    [[], 'give the trigger URL'],
    [['http://a', 'http://b'], 'give one URL only'],
    [['not a url'], 'URL must be the trigger'],
    [['ftp://host/'], 'URL must be http:// or https://'],
    [['http://fc.example.com'], 'use https:// for a trigger on another machine'],
    [['http://10.0.0.8:9000'], 'use https:// for a trigger on another machine'],
    [['https://user:pw@fc.example.com'], 'no user, password, query or fragment'],
    [['https://fc.example.com/?x=1'], 'no user, password, query or fragment'],
    [['http://127.0.0.1:9000', '--port', '70000'], 'the port must be'],
    [['http://127.0.0.1:9000', '--bogus'], "Unknown option '--bogus'"],
  ])('%j: %s', (argv, message) => {
    expect(() => parseConsoleArgs(argv, {})).toThrow(UsageError);
    expect(() => parseConsoleArgs(argv, {})).toThrow(message);
  });
});
