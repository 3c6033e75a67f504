import { afterAll, beforeAll } from 'vitest';
import { createRedisStore } from '#shared/stores/redis/store.ts';
import { deleteKeys, type RedisServer, startRedis, uniquePrefix } from '#test/helpers/redisServer.ts';
import { describeJobStoreContract } from './jobStoreContract.ts';

// One server for the file (REDIS_URL, or a throwaway redis-server); each test gets its own key prefix.
let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

describeJobStoreContract('redis', async () => {
  const prefix = uniquePrefix('contract');
  return {
    // Every connection is a store of its own (own ioredis client) on the shared prefix, as separate
    // sweepers would be: the racing tests race real connections.
    open: async () => createRedisStore({ url: server.url, prefix }),
    dispose: () => deleteKeys(server.url, prefix),
  };
});
