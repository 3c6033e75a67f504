/**
 * The aicontent API behind the gateway: which (version, method, path, action) exist, and what they do.
 * Requests arrive here already verified.
 */

import { dataNotFound, okEnvelope, parameterNotFound } from './envelope.ts';
import { type Faults, faultResponse, jobFault } from './faults.ts';
import { gatewayError } from './gatewayErrors.ts';
import { MAX_IMAGES } from './jobSpec.ts';
import { type JobTable, jobData } from './jobs.ts';
import type { RequestContext, ResponseOrDrop } from './response.ts';

export const API_VERSION = '20240611';
export const QUERY_PATH = '/api/v1/personalizedtxt2img/queryPreModelInferenceJobInfo';
export const ADD_PATH = '/api/v1/personalizedtxt2img/addPreModelInferenceJob';
export const QUERY_ACTION = 'PersonalizedTextToImageQueryPreModelInferenceJobInfo';
/** The SDK's action name for the add path; the docs' RAM table names it the other way: both are accepted. */
export const ADD_ACTIONS = [
  'PersonalizedTextToImageAddInferenceJob',
  'PersonalizedTextToImageAddPreModelInferenceJob',
];

export interface ApiCall {
  ctx: RequestContext;
  method: string;
  pathname: string;
  action: string;
  version: string;
  query: Readonly<Record<string, string>>;
  body: Buffer;
  now: number;
}

export interface ApiDeps {
  jobs: JobTable;
  /** The faults in force: per-job faults respond with their settings (status, retry-after, kind). */
  faults: () => Readonly<Faults>;
}

type Handler = (call: ApiCall, deps: ApiDeps) => ResponseOrDrop;

interface Route {
  actions: readonly string[];
  handle: Handler;
}

const ROUTES = new Map<string, Route>([
  [`GET ${QUERY_PATH}`, { actions: [QUERY_ACTION], handle: queryJob }],
  [`POST ${ADD_PATH}`, { actions: ADD_ACTIONS, handle: addJob }],
]);

export function serveApi(call: ApiCall, deps: ApiDeps): ResponseOrDrop {
  if (call.version !== API_VERSION) {
    return gatewayError(
      call.ctx,
      'InvalidVersion',
      `aicontent has version ${API_VERSION}, not ${call.version}.`,
    );
  }
  const route = ROUTES.get(`${call.method} ${call.pathname}`);
  if (!route?.actions.includes(call.action)) {
    return gatewayError(
      call.ctx,
      'InvalidApi.NotFound',
      `No ${call.action} at ${call.method} ${call.pathname}.`,
    );
  }
  return route.handle(call, deps);
}

function queryJob(call: ApiCall, deps: ApiDeps): ResponseOrDrop {
  const id = call.query.inferenceJobId;
  if (!id) return parameterNotFound(call.ctx, 'inferenceJobId');
  const job = deps.jobs.get(id);
  if (!job) return dataNotFound(call.ctx);
  job.queries += 1;
  const respond = () => okEnvelope(call.ctx, jobData(job, call.now));
  const fault = jobFault(job.faults, job.queries);
  return fault ? faultResponse(fault, call.ctx, deps.faults(), respond) : respond();
}

/** Body `{imageUrl: string[], prompt: string, imageNumber?, seed?, strength?, trainSteps?}`. */
function addJob(call: ApiCall, deps: ApiDeps): ResponseOrDrop {
  let body: unknown;
  try {
    body = JSON.parse(call.body.toString('utf8'));
  } catch {
    return parameterNotFound(call.ctx, 'the body must be JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return parameterNotFound(call.ctx, 'the body must be a JSON object');
  }
  const { imageUrl, prompt, imageNumber } = body as Record<string, unknown>;
  if (!Array.isArray(imageUrl) || imageUrl.length === 0) return parameterNotFound(call.ctx, 'imageUrl');
  if (!imageUrl.every((url) => typeof url === 'string' && url !== '')) {
    return parameterNotFound(call.ctx, 'imageUrl must hold non-empty strings');
  }
  if (typeof prompt !== 'string' || prompt.trim() === '') return parameterNotFound(call.ctx, 'prompt');
  if (imageNumber !== undefined && !(Number.isInteger(imageNumber) && (imageNumber as number) >= 1)) {
    return parameterNotFound(call.ctx, 'imageNumber must be a whole number >= 1');
  }
  // seed, strength and trainSteps only shape the images, which the emulator does not draw.
  const spec = imageNumber === undefined ? {} : { imageNumber: Math.min(imageNumber as number, MAX_IMAGES) };
  const job = deps.jobs.create(spec, call.now);
  return okEnvelope(call.ctx, jobData(job, call.now));
}
