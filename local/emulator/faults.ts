/**
 * Fault injection: what can go wrong between a client and aicontent, on demand and deterministically.
 *
 * Faults apply to aicontent API requests only (never to `/_emulator/*`). For each request `FaultPlan`
 * decides a latency and at most one fault. Every trigger is evaluated on every request, even when a
 * fault of higher precedence fires, so the random draws and the counts consumed depend only on the
 * request's position in the sequence: a seeded `random` replays the same faults.
 */

import { gatewayError, gatewayResponse } from './gatewayErrors.ts';
import type { EmulatorResponse, RequestContext, ResponseOrDrop } from './response.ts';

/** When a fault fires; it fires if any of the given conditions holds. */
export interface Trigger {
  /** The next `count` API requests. */
  count?: number;
  /** Each API request independently, with this probability (0..1), drawn from the emulator's `random`. */
  probability?: number;
  /** Every Nth API request (the Nth, 2Nth, ... counted since the faults were set). */
  everyNth?: number;
}

export type MalformedKind = 'truncated' | 'not-json';

export interface Faults {
  /** Added before responding, in ms: fixed, or uniform over whole ms in [min, max]. */
  latency?: number | { min: number; max: number };
  /** No response: the socket is destroyed. */
  drop?: Trigger;
  /** A gateway 5xx; default 503 ServiceUnavailable. */
  error5xx?: Trigger & { status?: number; code?: string };
  /** 400 `Throttling.User` with `x-acs-retry-after` in *milliseconds* (default 1000). */
  throttle?: Trigger & { retryAfterMs?: number };
  /** 200 with a broken body instead of the real response: `truncated` JSON (default) or an HTML `not-json` page. */
  malformed?: Trigger & { kind?: MalformedKind };
}

/**
 * Per job, by query count: each applies to the job's first N queries (`throttle: true`: all of them);
 * where several apply, the first of drop, error5xx, throttle, malformed wins. They respond with the
 * settings of the emulator-wide faults (status, code, retry-after, kind), else the defaults.
 */
export interface JobFaults {
  drop?: number;
  error5xx?: number;
  throttle?: boolean | number;
  malformed?: number;
}

export type FaultKind = 'drop' | 'error5xx' | 'throttle' | 'malformed';

/** Precedence when several faults fire on one request. */
const KINDS: readonly FaultKind[] = ['drop', 'error5xx', 'throttle', 'malformed'];

export const DEFAULT_RETRY_AFTER_MS = 1000;

export interface FaultDecision {
  latencyMs: number;
  fault: FaultKind | undefined;
}

export class FaultPlan {
  readonly #faults: Faults;
  readonly #random: () => number;
  readonly #remaining = new Map<FaultKind, number>();
  #requests = 0;

  constructor(faults: Faults, random: () => number) {
    checkFaults(faults);
    this.#faults = faults;
    this.#random = random;
    for (const kind of KINDS) this.#remaining.set(kind, faults[kind]?.count ?? 0);
  }

  get faults(): Readonly<Faults> {
    return this.#faults;
  }

  next(): FaultDecision {
    this.#requests += 1;
    const latencyMs = this.#latency();
    let fault: FaultKind | undefined;
    for (const kind of KINDS) {
      if (this.#fires(kind) && fault === undefined) fault = kind;
    }
    return { latencyMs, fault };
  }

  #latency(): number {
    const latency = this.#faults.latency;
    if (latency === undefined || typeof latency === 'number') return latency ?? 0;
    return latency.min + Math.floor(this.#random() * (latency.max - latency.min + 1));
  }

  #fires(kind: FaultKind): boolean {
    const trigger = this.#faults[kind];
    if (!trigger) return false;
    let fires = false;
    const remaining = this.#remaining.get(kind) ?? 0;
    if (remaining > 0) {
      this.#remaining.set(kind, remaining - 1);
      fires = true;
    }
    if (trigger.probability !== undefined && this.#random() < trigger.probability) fires = true;
    if (trigger.everyNth !== undefined && this.#requests % trigger.everyNth === 0) fires = true;
    return fires;
  }
}

/** The fault, if any, for a job's `query`-th query (1-based). */
export function jobFault(faults: JobFaults | undefined, query: number): FaultKind | undefined {
  if (!faults) return undefined;
  if (query <= (faults.drop ?? 0)) return 'drop';
  if (query <= (faults.error5xx ?? 0)) return 'error5xx';
  if (faults.throttle === true || query <= Number(faults.throttle ?? 0)) return 'throttle';
  if (query <= (faults.malformed ?? 0)) return 'malformed';
  return undefined;
}

/**
 * The response for a fault, in place of the real one (`real`, only computed when the fault needs it:
 * `malformed` breaks the real response's body).
 */
export function faultResponse(
  kind: FaultKind,
  ctx: RequestContext,
  faults: Faults,
  real: () => ResponseOrDrop,
): ResponseOrDrop {
  switch (kind) {
    case 'drop':
      return 'drop';
    case 'error5xx': {
      const status = faults.error5xx?.status ?? 503;
      const code = faults.error5xx?.code ?? 'ServiceUnavailable';
      return gatewayResponse(
        ctx,
        status,
        code,
        'The request has failed due to a temporary failure of the server.',
      );
    }
    case 'throttle': {
      const retryAfter = String(faults.throttle?.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
      return gatewayError(ctx, 'Throttling.User', undefined, { 'x-acs-retry-after': retryAfter });
    }
    case 'malformed': {
      const response = real();
      return response === 'drop' ? response : malformed(response, faults.malformed?.kind ?? 'truncated');
    }
  }
}

function malformed(response: EmulatorResponse, kind: MalformedKind): EmulatorResponse {
  if (kind === 'not-json') {
    return {
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
    };
  }
  return {
    status: 200,
    headers: response.headers,
    body: response.body.slice(0, Math.floor(response.body.length / 2)),
  };
}

/** Throws a RangeError naming the first setting that makes no sense. */
function checkFaults(faults: Faults): void {
  const { latency } = faults;
  if (typeof latency === 'number' && !(latency >= 0)) throw new RangeError('faults.latency must be >= 0');
  if (typeof latency === 'object' && !(latency.min >= 0 && latency.max >= latency.min)) {
    throw new RangeError('faults.latency needs 0 <= min <= max');
  }
  for (const kind of KINDS) {
    const trigger = faults[kind];
    if (!trigger) continue;
    if (trigger.count !== undefined && !(Number.isInteger(trigger.count) && trigger.count >= 0)) {
      throw new RangeError(`faults.${kind}.count must be a whole number >= 0`);
    }
    if (trigger.probability !== undefined && !(trigger.probability >= 0 && trigger.probability <= 1)) {
      throw new RangeError(`faults.${kind}.probability must be within 0..1`);
    }
    if (trigger.everyNth !== undefined && !(Number.isInteger(trigger.everyNth) && trigger.everyNth >= 1)) {
      throw new RangeError(`faults.${kind}.everyNth must be a whole number >= 1`);
    }
  }
  const status = faults.error5xx?.status;
  if (status !== undefined && !(Number.isInteger(status) && status >= 500 && status <= 599)) {
    throw new RangeError('faults.error5xx.status must be a 5xx status');
  }
}
