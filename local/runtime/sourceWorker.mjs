// @ts-check
// The entry of a function instance's worker thread in source mode. Node 20 does not apply `--import tsx`
// from a Worker's `execArgv`, so tsx's loader is registered here, inside the worker, before the
// TypeScript handler (and its `#shared/*` imports) is loaded. Bundle mode starts `instanceWorker.mjs`
// directly: there the handler runs under plain Node, as on FC.
import { register } from 'tsx/esm/api';

register();
await import('./instanceWorker.mjs');
