import { describe, expect, it } from 'vitest';
import type { AicontentClient } from '#shared/aicontent/client.ts';
import { parseJob } from '#shared/aicontent/job.ts';
import { errorReply } from '#shared/fc/reply.ts';
import { createLogger } from '#shared/log.ts';
import { type QueryRequest, replyToQuery } from '#shared/query/queryApi.ts';
import { createMemoryStore } from '#shared/stores/memoryStore.ts';

const lines: Record<string, unknown>[] = [];
const client: AicontentClient = {
  endpoint: new URL('http://127.0.0.1:1'),
  queryJob: async (id) => ({
    job: parseJob({ id, jobStatus: 'INFERRING' }, id),
    requestId: 'r',
    attempts: 1,
  }),
};

function request(overrides: Partial<QueryRequest> = {}): QueryRequest {
  return {
    client,
    store: async () => {
      throw new Error('redis is down');
    },
    parseNotify: async () => null,
    trackOnQuery: true,
    maxTrackedJobs: 100,
    pollHintSeconds: 5,
    deadline: Date.now() + 10_000,
    signal: new AbortController().signal,
    now: Date.now,
    log: createLogger({ write: (line) => lines.push(JSON.parse(line)) }),
    ...overrides,
  };
}

describe('replyToQuery', () => {
  it('still answers a query when tracking it fails, and logs why', async () => {
    const reply = await replyToQuery({ kind: 'invoke', payload: { inferenceJobId: 'a' } }, request());
    expect(reply).toMatchObject({ statusCode: 200, body: { terminal: false, retryAfterSeconds: 5 } });
    expect(lines.at(-1)).toMatchObject({ msg: 'could not start tracking a queried job', jobId: 'a' });
  });

  it('tracks nothing when TRACK_ON_QUERY is off, and answers without tracking when the store cannot say', async () => {
    const store = createMemoryStore();
    const reply = await replyToQuery(
      { kind: 'invoke', payload: { inferenceJobId: 'a' } },
      request({ trackOnQuery: false, store: async () => store }),
    );
    expect(reply.body).not.toHaveProperty('tracking');
    expect(await store.get('a')).toBeNull();
    lines.length = 0;
    const down = await replyToQuery(
      { kind: 'invoke', payload: { inferenceJobId: 'a' } },
      request({ trackOnQuery: false }),
    );
    expect(down).toMatchObject({ statusCode: 200, body: { terminal: false } });
    expect(lines.at(-1)).toMatchObject({ msg: 'could not read the tracking of a queried job', jobId: 'a' });
  });

  it('fails a track request when the store is down (the caller must know)', async () => {
    await expect(
      replyToQuery({ kind: 'invoke', payload: { action: 'track', inferenceJobId: 'a' } }, request()),
    ).rejects.toThrow('redis is down');
  });
});

describe('MAX_TRACKED_JOBS', () => {
  async function full() {
    const store = createMemoryStore();
    for (const id of ['a', 'b']) await store.track({ id, now: 0 });
    return request({ store: async () => store, maxTrackedJobs: 2 });
  }

  it('refuses to track one more job with 503 TooManyTrackedJobs and Retry-After: 60', async () => {
    const error = await replyToQuery(
      { kind: 'invoke', payload: { action: 'track', inferenceJobId: 'c' } },
      await full(),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TooManyTrackedJobs', statusCode: 503 });
    expect(errorReply(error, 'r')).toMatchObject({
      statusCode: 503,
      headers: { 'retry-after': '60' },
      body: { error: { code: 'TooManyTrackedJobs', message: expect.stringContaining('MAX_TRACKED_JOBS') } },
    });
  });

  it('still answers a query past it, tracking nothing, and says so in the log', async () => {
    lines.length = 0;
    const full2 = await full();
    const reply = await replyToQuery({ kind: 'invoke', payload: { inferenceJobId: 'c' } }, full2);
    expect(reply).toMatchObject({ statusCode: 200 });
    expect(await (await full2.store()).get('c')).toBeNull();
    expect(lines.at(-1)).toMatchObject({ msg: 'not tracking a queried job: MAX_TRACKED_JOBS are pending' });
  });
});
