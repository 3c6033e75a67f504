/**
 * Timer triggers: each enabled one fires on its schedule (UTC) with FC's timer event (docs/fc-runtime.md §3),
 * `{triggerTime, triggerName, payload}` as a Buffer of JSON, invoked asynchronously as on FC: a failure
 * is logged, never thrown.
 */
import { parseSchedule } from './cron.ts';
import { newRequestId } from './invocationContext.ts';
import type { Invocations } from './invocations.ts';
import type { LocalFunction } from './localFunction.ts';
import type { InvocationOutcome } from './outcome.ts';
import { isTimerTrigger, type TimerTriggerDefinition } from './serverlessYaml.ts';

export interface TimerEvent {
  /** The scheduled time, UTC, whole seconds: `2023-12-26T07:49:00Z`. */
  triggerTime: string;
  triggerName: string;
  payload: string;
}

export function timerEvent(triggerName: string, payload: string, time: Date): Buffer {
  const event: TimerEvent = { triggerTime: `${time.toISOString().slice(0, 19)}Z`, triggerName, payload };
  return Buffer.from(JSON.stringify(event));
}

export interface ScheduledTimer {
  cronExpression: string;
  fire(time: Date): void;
}

/** setTimeout's longest delay; a later fire time is reached in several waits. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Arms every timer; returns the function that disarms them all. */
export function startTimers(timers: readonly ScheduledTimer[], now: () => number = Date.now): () => void {
  const pending = new Set<NodeJS.Timeout>();
  const arm = (timer: ScheduledTimer, schedule: ReturnType<typeof parseSchedule>, at: Date) => {
    const handle = setTimeout(
      () => {
        pending.delete(handle);
        if (now() < at.getTime()) return arm(timer, schedule, at);
        timer.fire(at);
        // From now, not from `at`: ticks missed while the process was busy are skipped, not replayed.
        arm(timer, schedule, schedule.next(new Date(Math.max(now(), at.getTime()))));
      },
      Math.min(Math.max(at.getTime() - now(), 0), MAX_DELAY_MS),
    );
    // The server keeps the process alive, not a timer.
    handle.unref();
    pending.add(handle);
  };
  for (const timer of timers) {
    const schedule = parseSchedule(timer.cronExpression);
    arm(timer, schedule, schedule.next(new Date(now())));
  }
  return () => {
    for (const handle of pending) clearTimeout(handle);
    pending.clear();
  };
}

/** The timer triggers of every function, wired to their invocations (asynchronous, as on FC). */
export class TimerTriggers {
  readonly #targets: { fn: LocalFunction; trigger: TimerTriggerDefinition }[];
  readonly #invocations: Invocations;

  constructor(functions: readonly LocalFunction[], invocations: Invocations) {
    this.#targets = functions.flatMap((fn) =>
      fn.definition.triggers.filter(isTimerTrigger).map((trigger) => ({ fn, trigger })),
    );
    this.#invocations = invocations;
  }

  /** Arms the enabled triggers; returns the function that disarms them. */
  start(): () => void {
    return startTimers(
      this.#targets
        .filter(({ trigger }) => trigger.enable)
        .map(({ fn, trigger }) => ({
          cronExpression: trigger.cronExpression,
          fire: (at: Date) => void this.#fire(fn, trigger, at),
        })),
    );
  }

  /** Fires a trigger now (enabled or not); resolves when the invocation ends. */
  fire(functionName: string, triggerName: string): Promise<InvocationOutcome | undefined> {
    const named = this.#invocations.byAnyName(functionName);
    const target = this.#targets.find(({ fn, trigger }) => fn === named && trigger.name === triggerName);
    if (!target) throw new Error(`no timer trigger ${triggerName} on function ${functionName}`);
    return this.#fire(target.fn, target.trigger, new Date());
  }

  #fire(fn: LocalFunction, trigger: TimerTriggerDefinition, at: Date) {
    const event = timerEvent(trigger.name, trigger.payload, at);
    return this.#invocations.inBackground(fn, event, newRequestId(), 'timer');
  }
}
