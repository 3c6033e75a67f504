/**
 * A Redis for tests. `startRedis()` uses `REDIS_URL` when set (CI with a service container); otherwise it
 * spawns a throwaway `redis-server` on a free local port, without persistence. Start one per test file
 * (beforeAll / afterAll) and isolate tests by key prefix (`uniquePrefix`, `deleteKeys`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import { freePort } from '#local/cli/cliSupport.ts';

export interface RedisServer {
  url: string;
  /** Stops a spawned server (nothing for `REDIS_URL`). */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Extra `redis-server` arguments (e.g. `['--requirepass', 'x']`); a server is spawned even with REDIS_URL. */
  args?: string[];
}

/** A port nothing listens on right now (listen on 0, note the port, close). */
export { freePort };

/** Whether something at host:port answers a RESP PING (with PONG or with an error such as NOAUTH). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data[0] === 0x2b || data[0] === 0x2d)); // '+' or '-'
  });
}

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const fromEnv = process.env.REDIS_URL?.trim();
  if (fromEnv && !options.args) return { url: fromEnv, stop: async () => {} };

  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    tmpdir(),
    ...(options.args ?? []),
  ];
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new Error(
              'redis-server is not installed (or not on the PATH): the Redis store tests need it. ' +
                'Install it with `apt-get install -y redis-server`, or set REDIS_URL to a Redis to use.',
            )
          : error,
      );
    });
    child.once('exit', (code, signal) => {
      reject(new Error(`redis-server exited (${signal ?? code}) before answering:\n${output.slice(-2000)}`));
    });
  });
  failed.catch(() => {});

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 10_000;
  try {
    for (;;) {
      if (await Promise.race([answersPing(port), failed])) break;
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer:\n${output}`);
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 50)), failed]);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}

/** A key prefix no other test uses. */
export function uniquePrefix(name: string): string {
  return `test:${name}:${randomUUID()}:`;
}

/** Deletes every key that starts with `prefix` (SCAN + UNLINK), e.g. after a test. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    // Keys as Buffers: a job key holds the id's bytes, which need not be UTF-8 (lone surrogates).
    let cursor = '0';
    do {
      const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', match, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next.toString();
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
