/**
 * How a test (or `POST /_emulator/jobs`) describes the job it wants: its schedule, its outcome and the
 * faults its queries meet. `checkJobSpec` validates untrusted input into that shape.
 */
import type { JobFaults } from './faults.ts';

export const FAILURE_STATUSES = [
  'INFERRING_TERMINATED',
  'OOM',
  'WRONG_IMAGE_URL',
  'TOO_MANY_INFERENCE_REQUESTS',
] as const;
export type FailureStatus = (typeof FAILURE_STATUSES)[number];
/** How a job ends: FINISHED with images, a failure status, or NEVER (it stays INFERRING). */
export type JobOutcome = 'FINISHED' | FailureStatus | 'NEVER';

/** WAIT_SCHEDULE for `waitScheduleMs`, then INFERRING for `inferringMs`, then `outcome`. */
export interface JobSchedule {
  waitScheduleMs: number;
  inferringMs: number;
  outcome: JobOutcome;
}

export const DEFAULT_SCHEDULE: JobSchedule = { waitScheduleMs: 2000, inferringMs: 8000, outcome: 'FINISHED' };

/** The service caps images per job at 10 (larger values are treated as 10). */
export const MAX_IMAGES = 10;
/** The service's own default is undocumented; 2 shows a list in the demo. */
export const DEFAULT_IMAGES = 2;

export interface JobSpec {
  /** Any non-empty string (to test odd ids); default the next free number, as a string. */
  id?: string;
  /** Merged over the emulator's default schedule. */
  schedule?: Partial<JobSchedule>;
  /** 1..10, default 2. */
  imageNumber?: number;
  faults?: JobFaults;
}

export class JobSpecError extends Error {
  override name = 'JobSpecError';
}

const OUTCOMES: readonly string[] = ['FINISHED', 'NEVER', ...FAILURE_STATUSES];

export function checkJobSpec(value: unknown): JobSpec {
  const spec = fields(value, 'the job spec', ['id', 'schedule', 'imageNumber', 'faults']);
  const checked: JobSpec = {};
  if (spec.id !== undefined) {
    if (typeof spec.id !== 'string' || spec.id === '') {
      throw new JobSpecError('id must be a non-empty string');
    }
    checked.id = spec.id;
  }
  if (spec.schedule !== undefined) checked.schedule = checkSchedule(spec.schedule);
  if (spec.imageNumber !== undefined)
    checked.imageNumber = whole(spec.imageNumber, 'imageNumber', 1, MAX_IMAGES);
  if (spec.faults !== undefined) checked.faults = checkJobFaults(spec.faults);
  return checked;
}

function checkSchedule(value: unknown): Partial<JobSchedule> {
  const schedule = fields(value, 'schedule', ['waitScheduleMs', 'inferringMs', 'outcome']);
  const checked: Partial<JobSchedule> = {};
  if (schedule.waitScheduleMs !== undefined) {
    checked.waitScheduleMs = whole(schedule.waitScheduleMs, 'schedule.waitScheduleMs', 0);
  }
  if (schedule.inferringMs !== undefined) {
    checked.inferringMs = whole(schedule.inferringMs, 'schedule.inferringMs', 0);
  }
  if (schedule.outcome !== undefined) {
    if (typeof schedule.outcome !== 'string' || !OUTCOMES.includes(schedule.outcome)) {
      throw new JobSpecError(`schedule.outcome must be one of ${OUTCOMES.join(', ')}`);
    }
    checked.outcome = schedule.outcome as JobOutcome;
  }
  return checked;
}

function checkJobFaults(value: unknown): JobFaults {
  const faults = fields(value, 'faults', ['drop', 'error5xx', 'throttle', 'malformed']);
  const checked: JobFaults = {};
  if (faults.drop !== undefined) checked.drop = whole(faults.drop, 'faults.drop', 0);
  if (faults.error5xx !== undefined) checked.error5xx = whole(faults.error5xx, 'faults.error5xx', 0);
  if (faults.malformed !== undefined) checked.malformed = whole(faults.malformed, 'faults.malformed', 0);
  if (faults.throttle !== undefined) {
    checked.throttle =
      typeof faults.throttle === 'boolean' ? faults.throttle : whole(faults.throttle, 'faults.throttle', 0);
  }
  return checked;
}

/** The object's fields, refusing anything but a plain object with the known keys (typos fail loudly). */
function fields(value: unknown, what: string, known: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JobSpecError(`${what} must be an object`);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new JobSpecError(`${what} has an unknown field ${key}`);
  }
  return value as Record<string, unknown>;
}

function whole(value: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new JobSpecError(
      `${what} must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`,
    );
  }
  return value;
}
