/**
 * Local-only endpoints under `/_emulator/`, unsigned (they exist only on the emulator), for curl demos,
 * the local FC runtime (another process) and benchmarks:
 *
 * - `POST /_emulator/jobs` body: a job spec (optional) → 201 `{id}`
 * - `GET /_emulator/jobs/{id}` → 200 `{data, schedule, imageNumber, faults, queries}` (data: as the query API shows it)
 * - `POST /_emulator/sts` body: `{"ttlSeconds": n}` (optional, default 3600) → 200 `{accessKeyId, accessKeySecret, securityToken, expiration}`
 * - `GET /_emulator/stats` → 200 the emulator's counters
 *
 * Errors are `{error: message}` with 400 or 404.
 */

import { checkJobSpec, JobSpecError } from './jobSpec.ts';
import { type JobTable, jobData } from './jobs.ts';
import { type EmulatorResponse, jsonResponse } from './response.ts';
import type { StsCredentials } from './sts.ts';

export const ADMIN_PREFIX = '/_emulator/';
const DEFAULT_STS_TTL_SECONDS = 3600;

export interface AdminDeps {
  jobs: JobTable;
  now: number;
  mintSts(ttlMs: number): StsCredentials;
  stats(): unknown;
}

export function serveAdmin(
  method: string,
  pathname: string,
  body: Buffer,
  deps: AdminDeps,
): EmulatorResponse {
  try {
    const route = `${method} ${pathname}`;
    if (route === 'POST /_emulator/jobs') {
      const job = deps.jobs.create(checkJobSpec(jsonBody(body)), deps.now);
      return jsonResponse(201, { id: job.id });
    }
    if (method === 'GET' && pathname.startsWith('/_emulator/jobs/')) {
      return showJob(decodeURIComponent(pathname.slice('/_emulator/jobs/'.length)), deps);
    }
    if (route === 'POST /_emulator/sts')
      return jsonResponse(200, deps.mintSts(ttlSeconds(jsonBody(body)) * 1000));
    if (route === 'GET /_emulator/stats') return jsonResponse(200, deps.stats());
    return jsonResponse(404, { error: `no admin endpoint ${route}` });
  } catch (error) {
    if (
      error instanceof JobSpecError ||
      error instanceof AdminInputError ||
      error instanceof SyntaxError ||
      error instanceof URIError
    ) {
      return jsonResponse(400, { error: error.message });
    }
    throw error;
  }
}

function showJob(id: string, deps: AdminDeps): EmulatorResponse {
  const job = deps.jobs.get(id);
  if (!job) return jsonResponse(404, { error: `no job ${id}` });
  const { schedule, imageNumber, faults, queries } = job;
  return jsonResponse(200, {
    data: jobData(job, deps.now),
    schedule,
    imageNumber,
    faults: faults ?? {},
    queries,
  });
}

/** An optional JSON body: empty means `{}`. Throws SyntaxError when it is not JSON. */
function jsonBody(body: Buffer): unknown {
  return body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
}

function ttlSeconds(body: unknown): number {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AdminInputError('the body must be a JSON object');
  }
  const ttl = (body as { ttlSeconds?: unknown }).ttlSeconds ?? DEFAULT_STS_TTL_SECONDS;
  if (typeof ttl !== 'number' || !(ttl > 0) || !Number.isFinite(ttl)) {
    throw new AdminInputError('ttlSeconds must be a number > 0');
  }
  return ttl;
}

class AdminInputError extends Error {
  override name = 'AdminInputError';
}
