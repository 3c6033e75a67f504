import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readTrackingConfig } from '#shared/config.ts';
import { ConfigError } from '#shared/errors.ts';
import { createMemoryStore } from '#shared/stores/memoryStore.ts';
import { lazyJobStore, openJobStore } from '#shared/stores/openJobStore.ts';

describe('openJobStore', () => {
  it('opens the embedded store for file: URLs', async () => {
    const url = `file:${mkdtempSync(join(tmpdir(), 'open-store-'))}/jobs.db`;
    const store = await openJobStore(readTrackingConfig({ JOB_STORE_URL: url }), {});
    expect((await store.track({ id: 'a', now: 1 })).created).toBe(true);
    await store.close();
  });

  it('refuses the embedded store on FC without NAS', async () => {
    const url = `file:${mkdtempSync(join(tmpdir(), 'open-store-'))}/jobs.db`;
    await expect(
      openJobStore(readTrackingConfig({ JOB_STORE_URL: url }), { FC_FUNCTION_NAME: 'f' }),
    ).rejects.toThrow(ConfigError);
  });

  it('refuses an unknown scheme', async () => {
    await expect(openJobStore(readTrackingConfig({ JOB_STORE_URL: 'mongodb://x' }), {})).rejects.toThrow(
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
