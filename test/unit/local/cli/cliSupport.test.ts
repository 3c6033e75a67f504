import { describe, expect, it, vi } from 'vitest';
import { argsOrExitCode, parseFlags, startedOrSaid, UsageError } from '#local/cli/cliSupport.ts';

function captured() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) } };
}

describe('parseFlags', () => {
  it('reads the options given, and --help or -h beside them', () => {
    expect(parseFlags(['--port', '1'], { port: { type: 'string' } }).values).toEqual({ port: '1' });
    expect(parseFlags(['-h'], { port: { type: 'string' } }).values).toEqual({ help: true });
  });

  it('takes positionals only when allowed', () => {
    expect(parseFlags(['x'], {}, true).positionals).toEqual(['x']);
    expect(() => parseFlags(['x'], {})).toThrow(UsageError);
  });

  it('turns what parseArgs refuses into a UsageError with its message', () => {
    expect(() => parseFlags(['--bogus'], {})).toThrow(new UsageError("Unknown option '--bogus'"));
  });
});

describe('argsOrExitCode', () => {
  it('gives the arguments read', () => {
    const { io, out, err } = captured();
    expect(argsOrExitCode('tool', 'Usage: tool', () => ({ help: false, port: 1 }), io)).toEqual({
      help: false,
      port: 1,
    });
    expect([out, err]).toEqual([[], []]);
  });

  it.each([
    ['help', () => 'help' as const],
    ['help: true', () => ({ help: true })],
  ])('prints the usage on stdout and gives 0 for %s', (_, parse) => {
    const { io, out, err } = captured();
    expect(argsOrExitCode('tool', 'Usage: tool', parse, io)).toBe(0);
    expect([out, err]).toEqual([['Usage: tool'], []]);
  });

  it('says what is wrong, then the usage, on stderr, and gives 1', () => {
    const { io, out, err } = captured();
    const parse = () => {
      throw new UsageError('give one URL only');
    };
    expect(argsOrExitCode('tool', 'Usage: tool', parse, io)).toBe(1);
    expect([out, err]).toEqual([[], ['tool: give one URL only\n\nUsage: tool']]);
  });

  it('lets any other error through', () => {
    const parse = () => {
      throw new TypeError('a bug');
    };
    expect(() => argsOrExitCode('tool', 'Usage: tool', parse, captured().io)).toThrow(TypeError);
  });
});

describe('startedOrSaid', () => {
  it('gives what started', async () => {
    expect(await startedOrSaid('tool: cannot start', async () => 'server')).toBe('server');
  });

  it('says why it could not start, in one line without a stack, and gives undefined', async () => {
    const said = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const started = await startedOrSaid('tool: cannot listen on 127.0.0.1:1', async () => {
        throw new Error('listen EADDRINUSE: address already in use 127.0.0.1:1');
      });
      expect(started).toBeUndefined();
      expect(said.mock.calls).toEqual([
        ['tool: cannot listen on 127.0.0.1:1: listen EADDRINUSE: address already in use 127.0.0.1:1'],
      ]);
    } finally {
      said.mockRestore();
    }
  });
});
