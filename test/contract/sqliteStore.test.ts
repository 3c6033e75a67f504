import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '#shared/stores/sqliteStore.ts';
import { describeJobStoreContract } from './jobStoreContract.ts';

describeJobStoreContract('sqlite', async () => {
  // A fresh file per test; every connection is a store of its own on that file, as separate processes
  // would have. Off FC (no FC_* variables), so local disk is allowed.
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-store-contract-'));
  const path = join(dir, 'jobs.db');
  return {
    open: () => createSqliteStore({ path }),
    // The directory holds the database and its -wal / -shm files.
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
