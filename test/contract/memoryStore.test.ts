import type { JobStore } from '#shared/jobs/jobStore.ts';
import { createMemoryStore } from '#shared/stores/memoryStore.ts';
import { describeJobStoreContract } from './jobStoreContract.ts';

describeJobStoreContract('memory', async () => {
  // One store object is the whole backend: every "connection" shares it, and closing one does nothing.
  const shared: JobStore = createMemoryStore();
  return { open: async () => shared, dispose: async () => {} };
});
