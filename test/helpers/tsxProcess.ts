/**
 * A TypeScript script run in its own Node process (through tsx, from the project root), its output
 * collected as it comes; every process still running is killed after the test file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const root = fileURLToPath(new URL('../../', import.meta.url));

export interface TsxProcess {
  child: ChildProcess & { stdout: NodeJS.ReadableStream; stderr: NodeJS.ReadableStream };
  /** Resolves with the exit code (null when killed by a signal). */
  exit: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/** For a test file's top level: a `runTsx` whose processes are all killed after the file's tests. */
export function tsxProcesses(): (args: string[], env?: NodeJS.ProcessEnv) => TsxProcess {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });
  return (args, env = process.env) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, env });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exit = once(child, 'exit').then(([code]) => code as number | null);
    return { child, exit, stdout: () => stdout, stderr: () => stderr };
  };
}
