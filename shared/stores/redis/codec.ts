/**
 * What the Redis job store writes and reads, in TypeScript: the check of every stored field, a job as
 * the scripts return it (one JSON object) decoded and checked, a commit's changes as the JSON the commit
 * script writes, and ids as set members.
 *
 * Members. A job's member is its id in CESU-8: UTF-8, except that each UTF-16 code unit is encoded on
 * its own, so astral characters are two 3-byte surrogates. For ids without astral characters (all real
 * ones) that is their UTF-8, readable in redis-cli. Byte order of CESU-8 equals JavaScript's string order
 * (UTF-16 code units; plain UTF-8 puts astral characters after U+E000–U+FFFF), so `list` pages like the
 * memory store, and ids that are not well-formed UTF-16 (lone surrogates) stay distinct. Ids of any
 * length (the port allows 256 characters) and any bytes are fine as Redis keys and members.
 */
import {
  type JobChanges,
  NOTIFICATION_STATES,
  TRACKED_STATES,
  type TrackedJob,
} from '#shared/jobs/jobStore.ts';
import { isRecord } from '#shared/json.ts';

type Check = (value: unknown) => boolean;
const isString: Check = (value) => typeof value === 'string';
export const isNumber: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const orNull =
  (check: Check): Check =>
  (value) =>
    value === null || check(value);

/** Every property of a stored job, in the order of the hash fields and of `TrackedJob`, with its check. */
export const FIELD_CHECKS: Readonly<Record<keyof TrackedJob, Check>> = {
  id: isString,
  state: (value) => TRACKED_STATES.includes(value as TrackedJob['state']),
  status: isString,
  attempts: isNumber,
  notFoundCount: isNumber,
  firstSeenAt: isNumber,
  nextPollAt: orNull(isNumber),
  lastPolledAt: orNull(isNumber),
  lastError: orNull(isString),
  leaseOwner: orNull(isString),
  leaseExpiresAt: orNull(isNumber),
  notify: orNull(isRecord),
  images: (value) => Array.isArray(value) && value.every(isString),
  finishedAt: orNull(isNumber),
  reason: orNull(isString),
  notification: (value) => NOTIFICATION_STATES.includes(value as TrackedJob['notification']),
  notifyAttempts: isNumber,
  version: (value) => Number.isSafeInteger(value) && (value as number) >= 0,
};
export const FIELDS = Object.keys(FIELD_CHECKS) as (keyof TrackedJob)[];
/** What `commit` may change: the rest is the store's business (as in `committed`). */
const PROTECTED = new Set<string>(['id', 'leaseOwner', 'leaseExpiresAt', 'version']);

/** The job a script returned (one JSON object), or why it is not one. */
export function decodeJob(json: string): TrackedJob | string {
  let job: unknown;
  try {
    job = JSON.parse(json);
  } catch (error) {
    return `unparsable: ${(error as Error).message}`;
  }
  if (!isRecord(job)) return 'not an object';
  const bad = FIELDS.filter((field) => !FIELD_CHECKS[field](job[field]));
  // Every field checked: it is a TrackedJob.
  return bad.length === 0 ? (job as unknown as TrackedJob) : `bad ${bad.join(', ')}`;
}

/** The JSON of each change to write, checked so that a commit cannot write what a read would refuse. */
export function changeArgs(changes: JobChanges): string[] {
  const args: string[] = [];
  for (const [field, value] of Object.entries(changes)) {
    // Unknown and store-owned properties are not the commit's to write; undefined means "unchanged".
    if (value === undefined || PROTECTED.has(field) || !(field in FIELD_CHECKS)) continue;
    if (!FIELD_CHECKS[field as keyof TrackedJob](value)) {
      throw new TypeError(`commit: ${field} cannot be ${JSON.stringify(value)}`);
    }
    args.push(field, JSON.stringify(value));
  }
  return args;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** The member of an id: CESU-8 (see "Members" at the top of the file). */
export function encodeId(id: string): Buffer {
  if (!SURROGATE.test(id)) return Buffer.from(id, 'utf8');
  const bytes: number[] = [];
  for (let i = 0; i < id.length; i++) {
    const unit = id.charCodeAt(i);
    if (unit < 0x80) bytes.push(unit);
    else if (unit < 0x800) bytes.push(0xc0 | (unit >> 6), 0x80 | (unit & 0x3f));
    else bytes.push(0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f));
  }
  return Buffer.from(bytes);
}

/** The id of a member written by `encodeId`. */
export function decodeId(member: Buffer): string {
  const units: number[] = [];
  for (let i = 0; i < member.length; ) {
    const lead = member[i] ?? 0;
    const next = (offset: number) => (member[i + offset] ?? 0) & 0x3f;
    if (lead < 0x80) {
      units.push(lead);
      i += 1;
    } else if (lead < 0xe0) {
      units.push(((lead & 0x1f) << 6) | next(1));
      i += 2;
    } else if (lead < 0xf0) {
      units.push(((lead & 0x0f) << 12) | (next(1) << 6) | next(2));
      i += 3;
    } else {
      // Plain UTF-8 of an astral character: not written by this store, decoded for reports.
      const point = ((lead & 0x07) << 18) | (next(1) << 12) | (next(2) << 6) | next(3);
      units.push(0xd800 + ((point - 0x10000) >> 10), 0xdc00 + ((point - 0x10000) & 0x3ff));
      i += 4;
    }
  }
  let id = '';
  for (let i = 0; i < units.length; i += 8192) id += String.fromCharCode(...units.slice(i, i + 8192));
  return id;
}

/**
 * The changes of several commits as one string for the commit script: per job its owner, version and
 * field / value items joined by U+001F, the jobs joined by U+001E. Safe without escaping: every item is
 * JSON text, a field name or a number, and JSON text never holds a raw control character.
 */
export function packChanges(jobs: readonly (readonly string[])[]): string {
  return jobs.map((items) => items.join('\x1f')).join('\x1e');
}
