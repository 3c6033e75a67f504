/**
 * What a function's code can reach in bundle mode: what it can reach on FC's `nodejs20`, and no more.
 *
 * FC unpacks a function's code package on its own (to `/code`, `FC_FUNC_CODE_PATH`) and makes the
 * modules the runtime provides (`@alicloud/fc2`, …) findable through `NODE_PATH`, which Node consults
 * for `require` only, never for `import`. A bundle run from `dist/<name>/` in this repository would find
 * everything in the repository's `node_modules` by Node's upward lookup, and so load here but not there.
 *
 * So each function's code directory is copied into a directory of its own under a fresh temporary one
 * (modules inside the code package, such as a native module in `dist/<name>/node_modules/`, keep
 * resolving), and `NODE_PATH` names a sibling directory that holds only links to the provided modules
 * this repository has installed (`RUNTIME_PROVIDED` in `scripts/build.ts`). Neither is named
 * `node_modules`, so no upward lookup finds them.
 */
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { RUNTIME_PROVIDED } from '../../scripts/build.ts';
import type { HandlerModule } from './handlerModule.ts';

export interface CodePackages {
  /** `NODE_PATH` for every instance: the provided modules, nothing else. */
  readonly nodePath: string;
  /** Copies a function's code directory; returns its handler module as it is in the copy. */
  unpack(functionName: string, handler: HandlerModule): Promise<HandlerModule>;
  /** Deletes the copies. */
  remove(): Promise<void>;
}

export async function createCodePackages(): Promise<CodePackages> {
  const root = await mkdtemp(join(tmpdir(), 'fc-runtime-'));
  const nodePath = join(root, 'provided');
  const functionsDir = join(root, 'functions');
  await Promise.all([linkProvidedModules(nodePath), mkdir(functionsDir)]);
  return {
    nodePath,
    async unpack(functionName, handler) {
      const codePath = join(functionsDir, encodeURIComponent(functionName));
      // Links are followed: a link out of the code directory would reach what FC would not have.
      await cp(handler.codePath, codePath, { recursive: true, dereference: true });
      return {
        ...handler,
        codePath,
        modulePath: join(codePath, relative(handler.codePath, handler.modulePath)),
      };
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** `<dir>/<module>` → the installed module, for each provided module this repository has. */
async function linkProvidedModules(dir: string): Promise<void> {
  const require = createRequire(import.meta.url);
  for (const name of RUNTIME_PROVIDED) {
    let installed: string;
    try {
      installed = dirname(require.resolve(`${name}/package.json`));
    } catch {
      continue; // a production install: a function that requires it fails here, not on FC
    }
    const link = join(dir, name);
    await mkdir(dirname(link), { recursive: true });
    // A junction on Windows needs no privilege; elsewhere the type is ignored.
    await symlink(installed, link, 'junction');
  }
}
