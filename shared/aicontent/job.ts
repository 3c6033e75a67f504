/**
 * The inference job as aicontent describes it, parsed defensively into one typed shape.
 *
 * Real responses differ from the documented model: fields are missing or null, `id` may be a number,
 * `resultImageUrl` is null until the job finishes, and unknown fields appear. Nothing here throws on
 * an odd field: it keeps what it can read, and the upstream status string is always kept.
 */
import { InvalidInputError } from '#shared/errors.ts';

/** Our taxonomy of the upstream `jobStatus` (docs/aicontent-api.md §4). */
export type JobState = 'pending' | 'succeeded' | 'failed' | 'unknown';

export interface Job {
  id: string;
  /** The upstream `jobStatus` string as received (empty when absent). */
  status: string;
  state: JobState;
  terminal: boolean;
  modelId: string | null;
  promptId: string | null;
  /** 0..1 when the upstream reports it. */
  progress: number | null;
  /** Resource ids of the generated images (e.g. `0000.png`); empty until the job finishes. */
  images: string[];
  /** As sent upstream: no time zone, microseconds (e.g. `2024-07-12T14:44:19.362931`). */
  createTime: string | null;
}

const STATES: Readonly<Record<string, JobState>> = {
  FINISHED: 'succeeded',
  INFERRING_TERMINATED: 'failed',
  TRAINING_TERMINATED: 'failed',
  OOM: 'failed',
  WRONG_IMAGE_URL: 'failed',
  TOO_MANY_INFERENCE_REQUESTS: 'failed',
  NOT_START: 'pending',
  SUBMITTED: 'pending',
  WAIT_SCHEDULE: 'pending',
  INFERRING: 'pending',
  TRAINING: 'pending',
};

export function stateOf(status: string): JobState {
  return STATES[status] ?? 'unknown';
}

export function isTerminal(state: JobState): boolean {
  return state === 'succeeded' || state === 'failed';
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * Parses the envelope's `data` object. `requestedId` fills `id` when the upstream leaves it out, so a
 * job always says which job it is.
 */
export function parseJob(data: unknown, requestedId: string): Job {
  const raw = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const status = text(raw.jobStatus) ?? '';
  const state = stateOf(status);
  const progress = typeof raw.jobTrainProgress === 'number' ? raw.jobTrainProgress : null;
  const images = Array.isArray(raw.resultImageUrl)
    ? raw.resultImageUrl.filter((item): item is string => typeof item === 'string')
    : [];
  return {
    id: text(raw.id) ?? requestedId,
    status,
    state,
    terminal: isTerminal(state),
    modelId: text(raw.modelId),
    promptId: text(raw.promptId),
    progress: Number.isFinite(progress) ? progress : null,
    images,
    createTime: text(raw.createTime),
  };
}

export const MAX_JOB_ID_LENGTH = 256;
// C0 controls, DEL and C1 controls; and a UTF-16 surrogate not paired with its other half.
const CONTROL = /\p{Cc}/u;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Checks an inference job id before it goes anywhere; throws `InvalidInputError` saying what is wrong. */
export function validateJobId(value: unknown): string {
  if (typeof value !== 'string')
    throw new InvalidInputError('inferenceJobId must be a string', 'InvalidJobId');
  if (value.trim() === '') throw new InvalidInputError('inferenceJobId must not be empty', 'InvalidJobId');
  if (value.length > MAX_JOB_ID_LENGTH) {
    throw new InvalidInputError(
      `inferenceJobId is ${value.length} characters long; at most ${MAX_JOB_ID_LENGTH} are allowed`,
      'InvalidJobId',
    );
  }
  if (CONTROL.test(value)) {
    throw new InvalidInputError('inferenceJobId must not contain control characters', 'InvalidJobId');
  }
  if (LONE_SURROGATE.test(value)) {
    throw new InvalidInputError('inferenceJobId is not valid Unicode text', 'InvalidJobId');
  }
  return value;
}
