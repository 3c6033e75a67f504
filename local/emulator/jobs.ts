/**
 * The job table. A job's state is not stored: it is computed from its creation time, its schedule and
 * the clock whenever someone looks (no timer per job, nothing to advance).
 */
import { randomUUID } from 'node:crypto';
import type { JobFaults } from './faults.ts';
import { DEFAULT_IMAGES, type JobSchedule, type JobSpec, JobSpecError } from './jobSpec.ts';

export interface JobRecord {
  readonly id: string;
  readonly promptId: string;
  readonly modelId: string;
  /** Epoch ms on the emulator's clock. */
  readonly createdAt: number;
  readonly schedule: JobSchedule;
  readonly imageNumber: number;
  readonly faults: JobFaults | undefined;
  /** Queries that reached this job (after the gateway checks); drives its per-job faults. */
  queries: number;
}

/** The `data` of the query response, field for field. */
export interface JobData {
  id: string;
  promptId: string;
  modelId: string;
  jobStatus: string;
  jobTrainProgress: number;
  resultImageUrl: string[] | null;
  createTime: string;
}

export class JobTable {
  readonly #jobs = new Map<string, JobRecord>();
  readonly #defaultSchedule: JobSchedule;
  #nextId: number;

  /** Jobs without an id of their own are numbered from `firstId` up, skipping ids already taken. */
  constructor(defaultSchedule: JobSchedule, firstId = 1) {
    this.#defaultSchedule = defaultSchedule;
    this.#nextId = firstId;
  }

  /** Adds a job from a checked spec; throws `JobSpecError` if its id is taken. */
  create(spec: JobSpec, now: number): JobRecord {
    if (spec.id !== undefined && this.#jobs.has(spec.id)) {
      throw new JobSpecError(`a job with id ${spec.id} already exists`);
    }
    const job: JobRecord = {
      id: spec.id ?? this.#freeId(),
      promptId: randomUUID(),
      modelId: `girl_${randomUUID()}`,
      createdAt: now,
      schedule: { ...this.#defaultSchedule, ...spec.schedule },
      imageNumber: spec.imageNumber ?? DEFAULT_IMAGES,
      faults: spec.faults,
      queries: 0,
    };
    this.#jobs.set(job.id, job);
    return job;
  }

  get(id: string): JobRecord | undefined {
    return this.#jobs.get(id);
  }

  #freeId(): string {
    while (this.#jobs.has(String(this.#nextId))) this.#nextId += 1;
    return String(this.#nextId++);
  }
}

/** What a query at `now` shows of the job. */
export function jobData(job: JobRecord, now: number): JobData {
  const { waitScheduleMs, inferringMs, outcome } = job.schedule;
  const elapsed = now - job.createdAt;
  let jobStatus: string = outcome;
  let progress = 0;
  if (elapsed < waitScheduleMs) {
    jobStatus = 'WAIT_SCHEDULE';
  } else if (elapsed < waitScheduleMs + inferringMs || outcome === 'NEVER') {
    jobStatus = 'INFERRING';
    // Never 1 while inferring: that would read as done.
    progress = Math.min(
      0.99,
      Math.round(((elapsed - waitScheduleMs) / Math.max(inferringMs, 1)) * 100) / 100,
    );
  } else if (outcome === 'FINISHED') {
    progress = 1;
  }
  // A failed job reports progress 0: what the service reports there is unknown.
  return {
    id: job.id,
    promptId: job.promptId,
    modelId: job.modelId,
    jobStatus,
    jobTrainProgress: progress,
    resultImageUrl:
      jobStatus === 'FINISHED'
        ? Array.from({ length: job.imageNumber }, (_, i) => `${String(i).padStart(4, '0')}.png`)
        : null,
    createTime: createTime(job.createdAt),
  };
}

const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/**
 * As the service writes it: Shanghai local time (UTC+8, no daylight saving), no zone, microseconds
 * (`2024-07-12T14:44:19.362000`; the clock has milliseconds only).
 */
export function createTime(epochMs: number): string {
  return `${new Date(epochMs + SHANGHAI_OFFSET_MS).toISOString().slice(0, 23)}000`;
}
