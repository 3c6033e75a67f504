/**
 * Picks the `JobStore` adapter from `JOB_STORE_URL`: `redis://`/`rediss://` for Redis/Tair, `file:`
 * or `sqlite:` for the embedded SQLite store (the default, `file:.data/jobs.db`).
 */
import type { TrackingConfig } from '#shared/config.ts';
import type { JobStore } from '#shared/jobs/jobStore.ts';

/** Each adapter is imported on demand: an instance loads only the one it uses (ioredis is large). */
export async function openJobStore(
  config: TrackingConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<JobStore> {
  if (/^rediss?:/i.test(config.jobStoreUrl)) {
    const { createRedisStore } = await import('./redisStore.ts');
    return createRedisStore({ url: config.jobStoreUrl, prefix: config.jobStorePrefix });
  }
  const { createSqliteStore, parseEmbeddedStoreUrl } = await import('./sqliteStore.ts');
  return createSqliteStore({ path: parseEmbeddedStoreUrl(config.jobStoreUrl).path, env });
}

/**
 * Opens the store on first use and keeps it for the instance's later invocations. A failed open is
 * not kept: the next invocation tries again instead of inheriting the failure.
 */
export function lazyJobStore(open: () => Promise<JobStore>): () => Promise<JobStore> {
  let opening: Promise<JobStore> | undefined;
  return () => {
    opening ??= open().catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  };
}
