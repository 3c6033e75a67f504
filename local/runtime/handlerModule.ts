/**
 * Which file a function's instances load, by mode:
 *
 * - `bundle` (the default): what gets deployed. Handler `index.handler` with `code: ./dist/query` loads
 *   `dist/query/index.mjs`, else `dist/query/index.js` (run `npm run build` first).
 * - `source`: the TypeScript source, by convention `functions/<resource name>/handler.ts` next to s.yaml
 *   (resource `query` → `functions/query/handler.ts`), with the export named in `handler`. No build
 *   step; tsx compiles it inside the worker (see `sourceWorker.mjs`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FunctionDefinition } from './serverlessYaml.ts';

export type RuntimeMode = 'bundle' | 'source';

export interface HandlerModule {
  modulePath: string;
  exportName: string;
  /** `FC_FUNC_CODE_PATH`: the directory the code runs from. */
  codePath: string;
}

export class HandlerModuleError extends Error {
  override name = 'HandlerModuleError';
}

const BUNDLE_EXTENSIONS = ['.mjs', '.js'];

export function handlerModule(
  definition: FunctionDefinition,
  mode: RuntimeMode,
  rootDir: string,
): HandlerModule {
  const dot = definition.handler.lastIndexOf('.');
  const file = definition.handler.slice(0, dot);
  const exportName = definition.handler.slice(dot + 1);
  const label = `${definition.resourceName} (${definition.functionName})`;

  if (mode === 'source') {
    const codePath = join(rootDir, 'functions', definition.resourceName);
    const modulePath = join(codePath, 'handler.ts');
    if (!existsSync(modulePath)) {
      throw new HandlerModuleError(
        `${label}: no source at ${modulePath} (source mode expects functions/<resource>/handler.ts)`,
      );
    }
    return { modulePath, exportName, codePath };
  }

  const candidates = BUNDLE_EXTENSIONS.map((extension) => join(definition.codeDir, `${file}${extension}`));
  const modulePath = candidates.find((candidate) => existsSync(candidate));
  if (!modulePath) {
    throw new HandlerModuleError(
      `${label}: no bundle at ${candidates.join(' or ')}; build first (npm run build) or use source mode (--source)`,
    );
  }
  return { modulePath, exportName, codePath: definition.codeDir };
}
