import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readTrackingConfig } from '#shared/config.ts';
import { ConfigError } from '#shared/errors.ts';
import { createMemoryStore } from '#shared/stores/memoryStore.ts';
import { lazyJobStore, openJobStore } from '#shared/stores/openJobStore.ts';

const ON_FC = { FC_FUNCTION_NAME: 'aicontent-jobs-sweeper', FC_INSTANCE_ID: 'c-6543abcd-0123' };
const fileUrl = () => `file:${mkdtempSync(join(tmpdir(), 'open-store-'))}/jobs.db`;

describe('openJobStore', () => {
  it('opens the embedded store for file: URLs', async () => {
    const store = await openJobStore(readTrackingConfig({ JOB_STORE_URL: fileUrl() }));
    expect((await store.track({ id: 'a', now: 1 })).outcome).toBe('created');
    await store.close();
  });

  it('refuses the embedded store on FC, before loading its native module, and names the way out', async () => {
    for (const env of [ON_FC, { FC_FUNCTION_NAME: 'f' }, { FC_INSTANCE_ID: 'i' }]) {
      const opening = openJobStore(readTrackingConfig({ ...env, JOB_STORE_URL: fileUrl() }));
      await expect(opening).rejects.toThrow(ConfigError);
      await expect(opening).rejects.toThrow(/not on Function Compute.*JOB_STORE_URL=redis:\/\//s);
    }
  });

  it('opens the embedded store in the local runtime, which says it is one machine', async () => {
    const config = readTrackingConfig({
      ...ON_FC,
      JOB_STORE_ALLOW_LOCAL_DISK: '1',
      JOB_STORE_URL: fileUrl(),
    });
    const store = await openJobStore(config);
    await store.close();
  });

  it('refuses an unknown scheme', async () => {
    await expect(openJobStore(readTrackingConfig({ JOB_STORE_URL: 'mongodb://x' }))).rejects.toThrow(
      ConfigError,
    );
  });
});

describe('lazyJobStore', () => {
  it('opens once and shares the store', async () => {
    const open = vi.fn(async () => createMemoryStore());
    const store = lazyJobStore(open);
    expect(await store()).toBe(await store());
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('does not keep a failed open: the next call tries again', async () => {
    const open = vi.fn().mockRejectedValueOnce(new Error('down')).mockResolvedValueOnce(createMemoryStore());
    const store = lazyJobStore(open);
    await expect(store()).rejects.toThrow('down');
    await expect(store()).resolves.toBeTruthy();
    expect(open).toHaveBeenCalledTimes(2);
  });
});
