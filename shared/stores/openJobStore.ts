/**
 * Picks the `JobStore` adapter from `JOB_STORE_URL`: `redis://`/`rediss://` for Redis/Tair, `file:`
 * or `sqlite:` for the embedded SQLite store (the local default, `file:.data/jobs.db`).
 *
 * On Function Compute only Redis/Tair is accepted. An instance's own disk is neither shared with the
 * other instances nor kept when the instance is recycled, so a database file there would split the jobs
 * between instances and then lose them; and the bundles deployed to FC carry no native module (the
 * SQLite binding is one: README "Deploying" says why). The local runtime, which imitates FC on one
 * machine, opts in with JOB_STORE_ALLOW_LOCAL_DISK.
 */
import type { TrackingConfig } from '#shared/config.ts';
import { ConfigError } from '#shared/errors.ts';
import type { JobStore } from '#shared/jobs/jobStore.ts';

/** Each adapter is imported on demand: an instance loads only the one it uses (ioredis is large). */
export async function openJobStore(config: TrackingConfig): Promise<JobStore> {
  if (/^rediss?:/i.test(config.jobStoreUrl)) {
    const { createRedisStore } = await import('./redis/store.ts');
    return createRedisStore({ url: config.jobStoreUrl, prefix: config.jobStorePrefix });
  }
  if (!config.embeddedStoreAllowed) {
    throw new ConfigError(
      `JOB_STORE_URL is ${JSON.stringify(config.jobStoreUrl)}: the embedded store runs on one machine only ` +
        '(npm start), not on Function Compute, whose instances neither share nor keep their disks. ' +
        'Set JOB_STORE_URL=redis://… or rediss://… (ApsaraDB for Redis / Tair in the functions’ VPC).',
    );
  }
  const { createSqliteStore, parseEmbeddedStoreUrl } = await import('./sqliteStore.ts');
  return createSqliteStore({ path: parseEmbeddedStoreUrl(config.jobStoreUrl).path });
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
