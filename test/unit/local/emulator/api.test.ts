/** The aicontent API's own answers (envelope, business errors) and the admin endpoints. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_PATH } from '#local/emulator/api.ts';
import { type Emulator, startEmulator } from '#local/emulator/emulator.ts';
import { admin, callEmulator, queryJob } from '#test/helpers/emulator.ts';

let emulator: Emulator;
let now = Date.parse('2024-07-12T06:44:19.362Z');

beforeAll(async () => {
  emulator = await startEmulator({ clock: () => now, schedule: { waitScheduleMs: 1000, inferringMs: 4000 } });
});
afterAll(() => emulator.close());

const signedAt = () => new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
const query = (id: string) => queryJob(emulator, id, { date: signedAt() });
const addJob = (body: unknown) =>
  callEmulator(emulator, {
    method: 'POST',
    pathname: ADD_PATH,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    date: signedAt(),
  });

describe('query', () => {
  it('answers the envelope with the job, its createTime in Shanghai time', async () => {
    const id = emulator.createJob();
    const response = await query(id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      requestId: response.headers.get('x-acs-request-id'),
      success: true,
      errCode: null,
      errMessage: null,
      httpStatusCode: 200,
      data: {
        id,
        promptId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        modelId: expect.stringMatching(/^girl_[0-9a-f-]{36}$/),
        jobStatus: 'WAIT_SCHEDULE',
        jobTrainProgress: 0,
        resultImageUrl: null,
        createTime: '2024-07-12T14:44:19.362000',
      },
    });
  });

  it('answers 404 B_DATA_NOT_FOUND_EXCEPTION for an unknown job', async () => {
    const response = await query('no-such-job');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      requestId: response.headers.get('x-acs-request-id'),
      success: false,
      errCode: 'B_DATA_NOT_FOUND_EXCEPTION',
      errMessage: '资源没有找到',
      httpStatusCode: 404,
      data: null,
    });
  });

  it('answers 400 B_PARAMETER_NOT_FOUND_EXCEPTION without inferenceJobId', async () => {
    const response = await callEmulator(emulator, { date: signedAt() });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      success: false,
      errCode: 'B_PARAMETER_NOT_FOUND_EXCEPTION',
      httpStatusCode: 400,
      data: null,
    });
  });

  it('moves a job to its failure status on schedule', async () => {
    const id = emulator.createJob({ schedule: { outcome: 'OOM' } });
    now += 5000;
    expect((await query(id)).body).toMatchObject({ data: { jobStatus: 'OOM', resultImageUrl: null } });
  });
});

describe('add', () => {
  it('creates a job from a valid body, capping imageNumber at 10', async () => {
    const created = await addJob({ imageUrl: ['https://example.com/a.png'], prompt: 'p', imageNumber: 25 });
    expect(created.status).toBe(200);
    const { id } = created.body.data as { id: string };
    now += 5000;
    const finished = await query(id);
    expect((finished.body.data as { resultImageUrl: string[] }).resultImageUrl).toHaveLength(10);
  });

  it.each([
    ['no imageUrl', { prompt: 'p' }],
    ['an empty imageUrl', { imageUrl: [], prompt: 'p' }],
    ['a non-string image url', { imageUrl: [3], prompt: 'p' }],
    ['no prompt', { imageUrl: ['u'] }],
    ['a blank prompt', { imageUrl: ['u'], prompt: ' ' }],
    ['a fractional imageNumber', { imageUrl: ['u'], prompt: 'p', imageNumber: 1.5 }],
    ['a body that is not an object', ['u']],
    ['a body that is not JSON', '{"imageUrl":'],
  ])('answers 400 B_PARAMETER_NOT_FOUND_EXCEPTION for %s', async (_, body) => {
    const response = await addJob(body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ errCode: 'B_PARAMETER_NOT_FOUND_EXCEPTION', httpStatusCode: 400 });
  });
});

describe('admin endpoints', () => {
  it('creates a job from a spec and shows it', async () => {
    const created = await admin(
      emulator,
      'POST',
      'jobs',
      JSON.stringify({
        id: 'my job',
        imageNumber: 1,
        schedule: { outcome: 'NEVER' },
        faults: { throttle: 1 },
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: 'my job' });
    expect(created.headers.get('x-acs-request-id')).toBeTruthy();

    now += 60_000;
    const shown = await admin(emulator, 'GET', `jobs/${encodeURIComponent('my job')}`);
    expect(shown.body).toMatchObject({
      data: { id: 'my job', jobStatus: 'INFERRING', jobTrainProgress: 0.99 },
      schedule: { waitScheduleMs: 1000, inferringMs: 4000, outcome: 'NEVER' },
      imageNumber: 1,
      faults: { throttle: 1 },
      queries: 0,
    });
  });

  it('creates a job with the defaults from an empty body', async () => {
    const created = await admin(emulator, 'POST', 'jobs');
    expect(created.status).toBe(201);
    expect((await query(String(created.body.id))).status).toBe(200);
  });

  it.each([
    ['not JSON', '{'],
    ['an unknown field', '{"outcome":"OOM"}'],
    ['an unknown outcome', '{"schedule":{"outcome":"DONE"}}'],
    ['a negative time', '{"schedule":{"inferringMs":-1}}'],
    ['too many images', '{"imageNumber":11}'],
    ['a taken id', '{"id":"my job"}'],
    ['an empty id', '{"id":""}'],
    ['a spec that is not an object', '[]'],
  ])('refuses a spec with %s', async (_, body) => {
    const response = await admin(emulator, 'POST', 'jobs', body);
    expect(response.status).toBe(400);
    expect(response.body.error).toEqual(expect.any(String));
  });

  it('answers 404 for an unknown job or endpoint', async () => {
    expect((await admin(emulator, 'GET', 'jobs/nope')).status).toBe(404);
    expect((await admin(emulator, 'DELETE', 'jobs')).status).toBe(404);
  });

  it('mints STS credentials the API accepts', async () => {
    const minted = await admin(emulator, 'POST', 'sts', '{"ttlSeconds":900}');
    expect(minted.status).toBe(200);
    const credentials = minted.body as {
      accessKeyId: string;
      accessKeySecret: string;
      securityToken: string;
    };
    expect(minted.body.expiration).toBe(new Date(now + 900_000).toISOString().replace(/\.\d+Z$/, 'Z'));
    const id = emulator.createJob();
    expect((await queryJob(emulator, id, { date: signedAt(), credentials })).status).toBe(200);
  });

  it('mints for an hour by default and refuses a bad ttl', async () => {
    const minted = await admin(emulator, 'POST', 'sts');
    expect(Date.parse(String(minted.body.expiration)) - now).toBeGreaterThan(3599_000);
    expect((await admin(emulator, 'POST', 'sts', '{"ttlSeconds":0}')).status).toBe(400);
    expect((await admin(emulator, 'POST', 'sts', '[]')).status).toBe(400);
  });

  it('shows the counters', async () => {
    const stats = await admin(emulator, 'GET', 'stats');
    expect(stats.body).toMatchObject({ connections: expect.any(Number), requests: expect.any(Number) });
  });
});
