// The entry of every function instance's worker thread. Node 20 does not apply `--import tsx` from a
// Worker's `execArgv`, so tsx's loader is registered here, inside the worker, before anything written
// in TypeScript is imported: the instance code itself, and the handler in source mode.
import { register } from 'tsx/esm/api';

register();
await import('./instanceWorker.ts');
