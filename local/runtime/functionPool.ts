/**
 * The instances of one function. An idle instance is reused (module state survives between
 * invocations, as on a warm FC instance); when all are busy a new one starts, up to a limit, beyond
 * which invocations wait their turn. An instance that timed out or crashed is never reused.
 */
import type { Instance, InstanceOutcome } from './instance.ts';
import type { ContextData } from './invocationContext.ts';

export class FunctionPool {
  readonly #start: () => Promise<Instance>;
  readonly #maxInstances: number;
  readonly #idle: Instance[] = [];
  readonly #all = new Set<Instance>();
  /** Instances started or starting: counts toward the limit before `start` resolves. */
  #count = 0;
  readonly #waiting: (() => void)[] = [];
  #closed = false;

  constructor(start: () => Promise<Instance>, maxInstances: number) {
    this.#start = start;
    this.#maxInstances = maxInstances;
  }

  async invoke(event: Buffer, context: ContextData): Promise<InstanceOutcome> {
    let instance: Instance;
    try {
      instance = await this.#acquire();
    } catch (error) {
      return {
        ok: false,
        error: { errorMessage: (error as Error).message, errorType: 'InstanceStartError' },
      };
    }
    try {
      return await instance.invoke(event, context);
    } finally {
      this.#release(instance);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#waiting.splice(0)) wake();
    const instances = [...this.#all];
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.all(instances.map((instance) => instance.terminate()));
  }

  async #acquire(): Promise<Instance> {
    for (;;) {
      if (this.#closed) throw new Error('the local runtime is closed');
      const idle = this.#idle.pop();
      if (idle?.usable) return idle;
      if (idle) {
        this.#forget(idle);
        continue;
      }
      if (this.#count < this.#maxInstances) return this.#startOne();
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  async #startOne(): Promise<Instance> {
    this.#count++;
    try {
      const instance = await this.#start();
      if (this.#closed) {
        await instance.terminate();
        throw new Error('the local runtime is closed');
      }
      this.#all.add(instance);
      return instance;
    } catch (error) {
      this.#count--;
      this.#waiting.shift()?.();
      throw error;
    }
  }

  #release(instance: Instance): void {
    if (instance.usable && !this.#closed) this.#idle.push(instance);
    else this.#forget(instance);
    this.#waiting.shift()?.();
  }

  #forget(instance: Instance): void {
    if (this.#all.delete(instance)) this.#count--;
  }
}
