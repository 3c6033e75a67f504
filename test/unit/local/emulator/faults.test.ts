/** Fault injection: each fault through HTTP, per-job faults, determinism of the plan, and the counters. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '#local/emulator/emulator.ts';
import { FaultPlan, type Faults } from '#local/emulator/faults.ts';
import { seededRandom } from '#local/emulator/random.ts';
import { admin, queryJob } from '#test/helpers/emulator.ts';

let emulator: Emulator;
let jobId: string;

beforeAll(async () => {
  emulator = await startEmulator({ random: seededRandom(7) });
  jobId = emulator.createJob();
});
afterEach(() => emulator.setFaults({}));
afterAll(() => emulator.close());

const statuses = async (count: number, id = jobId) => {
  const result: number[] = [];
  for (let i = 0; i < count; i++) result.push((await queryJob(emulator, id)).status);
  return result;
};

describe('faults set on the emulator', () => {
  it('adds a fixed latency', async () => {
    emulator.setFaults({ latency: 60 });
    const started = performance.now();
    expect((await queryJob(emulator, jobId)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('throttles every Nth request with Throttling.User and x-acs-retry-after in ms', async () => {
    emulator.setFaults({ throttle: { everyNth: 2, retryAfterMs: 250 } });
    const first = await queryJob(emulator, jobId);
    const second = await queryJob(emulator, jobId);
    expect(first.status).toBe(200);
    expect(second.status).toBe(400);
    expect(second.body.Code).toBe('Throttling.User');
    expect(second.headers.get('x-acs-retry-after')).toBe('250');
    expect(second.headers.get('x-acs-request-id')).toBe(second.body.RequestId);
    expect(await statuses(4)).toEqual([200, 400, 200, 400]);
  });

  it('fails the next N requests with a 5xx burst', async () => {
    emulator.setFaults({ error5xx: { count: 2 } });
    const failed = await queryJob(emulator, jobId);
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ Code: 'ServiceUnavailable', RequestId: expect.any(String) });
    expect(await statuses(2)).toEqual([503, 200]);
  });

  it('answers the 5xx status and code configured', async () => {
    emulator.setFaults({ error5xx: { count: 1, status: 500, code: 'InternalError' } });
    const failed = await queryJob(emulator, jobId);
    expect([failed.status, failed.body.Code]).toEqual([500, 'InternalError']);
  });

  it('drops the connection without an answer', async () => {
    emulator.setFaults({ drop: { count: 1 } });
    const dropped = emulator.stats.dropped;
    await expect(queryJob(emulator, jobId)).rejects.toThrow();
    expect(emulator.stats.dropped).toBe(dropped + 1);
    expect((await queryJob(emulator, jobId)).status).toBe(200);
  });

  it('answers 200 with a truncated JSON body', async () => {
    emulator.setFaults({ malformed: { count: 1 } });
    const broken = await queryJob(emulator, jobId);
    expect(broken.status).toBe(200);
    expect(broken.text.startsWith('{"requestId":')).toBe(true);
    expect(() => JSON.parse(broken.text)).toThrow(SyntaxError);
  });

  it('answers 200 with a body that is not JSON', async () => {
    emulator.setFaults({ malformed: { count: 1, kind: 'not-json' } });
    const broken = await queryJob(emulator, jobId);
    expect(broken.status).toBe(200);
    expect(broken.headers.get('content-type')).toBe('text/html');
    expect(() => JSON.parse(broken.text)).toThrow(SyntaxError);
  });

  it('leaves the admin endpoints alone', async () => {
    emulator.setFaults({ error5xx: { everyNth: 1 } });
    expect((await admin(emulator, 'GET', `jobs/${jobId}`)).status).toBe(200);
    expect((await queryJob(emulator, jobId)).status).toBe(503);
  });

  it('refuses settings that make no sense', () => {
    expect(() => emulator.setFaults({ throttle: { probability: 2 } })).toThrow(RangeError);
    expect(() => emulator.setFaults({ latency: { min: 5, max: 1 } })).toThrow(RangeError);
    expect(() => emulator.setFaults({ drop: { everyNth: 0 } })).toThrow(RangeError);
    expect(() => emulator.setFaults({ malformed: { count: -1 } })).toThrow(RangeError);
    expect(() => emulator.setFaults({ latency: -1 })).toThrow(RangeError);
    expect(() => emulator.setFaults({ error5xx: { count: 1, status: 429 } })).toThrow(RangeError);
  });
});

describe('faults set on one job', () => {
  it('fails the first N queries of the job with 503', async () => {
    const id = emulator.createJob({ faults: { error5xx: 2 } });
    expect(await statuses(3, id)).toEqual([503, 503, 200]);
    // Other jobs are not affected.
    expect(await statuses(1)).toEqual([200]);
  });

  it('throttles every query of the job', async () => {
    const id = emulator.createJob({ faults: { throttle: true } });
    expect(await statuses(3, id)).toEqual([400, 400, 400]);
    expect((await queryJob(emulator, id)).headers.get('x-acs-retry-after')).toBe('1000');
  });

  it('drops, then breaks, then answers', async () => {
    const id = emulator.createJob({ faults: { drop: 1, malformed: 2 } });
    await expect(queryJob(emulator, id)).rejects.toThrow();
    const broken = await queryJob(emulator, id);
    expect(() => JSON.parse(broken.text)).toThrow(SyntaxError);
    expect((await queryJob(emulator, id)).body).toMatchObject({ success: true });
  });
});

describe('FaultPlan', () => {
  const faults: Faults = {
    latency: { min: 10, max: 30 },
    throttle: { probability: 0.3 },
    error5xx: { probability: 0.1 },
  };
  const decisions = (seed: number) => {
    const plan = new FaultPlan(faults, seededRandom(seed));
    return Array.from({ length: 200 }, () => plan.next());
  };

  it('decides the same faults and latencies for the same seed', () => {
    expect(decisions(42)).toEqual(decisions(42));
    expect(decisions(42)).not.toEqual(decisions(43));
  });

  it('draws latencies within bounds and faults at about the asked rate', () => {
    const all = decisions(1);
    expect(all.every((d) => d.latencyMs >= 10 && d.latencyMs <= 30 && Number.isInteger(d.latencyMs))).toBe(
      true,
    );
    const throttled = all.filter((d) => d.fault === 'throttle').length;
    expect(throttled).toBeGreaterThan(30);
    expect(throttled).toBeLessThan(80);
  });

  it('gives drop precedence but still counts down the others', () => {
    const plan = new FaultPlan({ drop: { count: 1 }, error5xx: { count: 1 } }, seededRandom(1));
    expect([plan.next().fault, plan.next().fault]).toEqual(['drop', undefined]);
  });
});

describe('stats', () => {
  it('counts connections apart from requests, so keep-alive reuse shows', async () => {
    const { connections, requests, apiRequests } = emulator.stats;
    await statuses(5);
    expect(emulator.stats.requests - requests).toBe(5);
    expect(emulator.stats.apiRequests - apiRequests).toBe(5);
    expect(emulator.stats.connections - connections).toBeLessThanOrEqual(1);
  });

  it('counts replies by status', async () => {
    const before = emulator.stats.byStatus[404] ?? 0;
    await queryJob(emulator, 'no-such-job');
    expect(emulator.stats.byStatus[404]).toBe(before + 1);
  });
});
