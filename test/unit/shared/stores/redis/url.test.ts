import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/errors.ts';
import { parseRedisUrl, redisConnectionOptions } from '#shared/stores/redis/url.ts';

describe('parseRedisUrl', () => {
  it.each([
    [
      'redis://localhost',
      { tls: false, host: 'localhost', port: 6379, db: 0, display: 'redis://localhost:6379/0' },
    ],
    ['redis://127.0.0.1:6380/2', { host: '127.0.0.1', port: 6380, db: 2, password: undefined }],
    [
      'rediss://:p%40ss%3Aw0rd@r-bp1abc.redis.rds.aliyuncs.com:6379/0',
      {
        tls: true,
        host: 'r-bp1abc.redis.rds.aliyuncs.com',
        username: undefined,
        password: 'p@ss:w0rd',
        display: 'rediss://:***@r-bp1abc.redis.rds.aliyuncs.com:6379/0',
      },
    ],
    [
      'redis://sweeper:s3cret@r-bp1abc.redis.rds.aliyuncs.com',
      {
        username: 'sweeper',
        password: 's3cret',
        display: 'redis://sweeper:***@r-bp1abc.redis.rds.aliyuncs.com:6379/0',
      },
    ],
    ['redis://:account%3Apassword@10.0.0.5', { username: undefined, password: 'account:password' }],
    ['redis://default@host', { username: 'default', password: undefined }],
    [
      'redis://:p@ss@host:6380',
      { host: 'host', port: 6380, password: 'p@ss', display: 'redis://:***@host:6380/0' },
    ],
    ['redis://[::1]:7000', { host: '::1', port: 7000, display: 'redis://[::1]:7000/0' }],
    ['  REDISS://HOST/  ', { tls: true, host: 'HOST', db: 0 }],
  ])('%s', (url, expected) => {
    expect(parseRedisUrl(url)).toMatchObject(expected);
  });

  it.each([
    ['', /must look like/],
    ['localhost:6379', /must look like/],
    ['http://host:6379', /scheme http:, expected redis: or rediss:/],
    ['tcp://:hunter2@host', /scheme tcp:/],
    ['redis://', /names no host/],
    ['redis://:6379', /names no host/],
    ['redis://host:0', /port "0"; expected 1 to 65535/],
    ['redis://host:65536', /port "65536"/],
    ['redis://host:abc', /port "abc"/],
    ['redis://host:', /port ""/],
    ['redis://host/db1', /database "db1"/],
    ['redis://host:6379?db=1', /query strings/],
    ['redis://:%zz@host', /bad %-escape/],
  ])('refuses %j', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(ConfigError);
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('never repeats the password in an error', () => {
    for (const url of [
      'redis://user:hunter2@host:99999',
      'redis://:hunter2@host/x',
      'http://:hunter2@host',
    ]) {
      const error = (() => {
        try {
          parseRedisUrl(url);
        } catch (caught) {
          return caught as Error;
        }
        throw new Error(`${url} parsed`);
      })();
      expect(error.message).not.toMatch(/hunter2|ter2/);
    }
  });
});

describe('redisConnectionOptions', () => {
  it('turns on TLS for rediss, checking the host name', () => {
    expect(redisConnectionOptions({ url: 'rediss://r-bp1.redis.rds.aliyuncs.com' }).tls).toEqual({
      servername: 'r-bp1.redis.rds.aliyuncs.com',
    });
    expect(redisConnectionOptions({ url: 'rediss://10.0.0.5:6380' }).tls).toEqual({});
    expect(redisConnectionOptions({ url: 'redis://r-bp1.redis.rds.aliyuncs.com' }).tls).toBeUndefined();
  });

  it('passes user, password and database', () => {
    expect(redisConnectionOptions({ url: 'redis://sweeper:pw@host:6380/3' })).toMatchObject({
      host: 'host',
      port: 6380,
      db: 3,
      username: 'sweeper',
      password: 'pw',
    });
    const passwordOnly = redisConnectionOptions({ url: 'redis://:pw@host' });
    expect(passwordOnly.password).toBe('pw');
    expect(passwordOnly).not.toHaveProperty('username');
  });

  it('fails fast rather than hanging a function: lazy connect, bounded waits and retries', () => {
    expect(redisConnectionOptions({ url: 'redis://host' })).toMatchObject({
      lazyConnect: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 3_000,
      commandTimeout: 5_000,
    });
    expect(
      redisConnectionOptions({ url: 'redis://host', connectTimeoutMs: 500, commandTimeoutMs: 800 }),
    ).toMatchObject({ connectTimeout: 500, commandTimeout: 800 });
  });

  it('applies extra ioredis options last, but refuses keyPrefix', () => {
    const ca = '-----BEGIN CERTIFICATE-----';
    expect(redisConnectionOptions({ url: 'rediss://host', redis: { tls: { ca } } }).tls).toEqual({ ca });
    expect(() => redisConnectionOptions({ url: 'redis://host', redis: { keyPrefix: 'x:' } })).toThrow(
      ConfigError,
    );
  });
});
