/**
 * The official `@alicloud/openapi-client` (the SDK's runtime) against the emulator: what it sends must
 * be accepted, with an AccessKey pair and with minted STS credentials, and its errors must parse.
 */
import OpenApiModule, * as $OpenApi from '@alicloud/openapi-client';
import * as $Util from '@alicloud/tea-util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_ACTIONS, ADD_PATH, API_VERSION, QUERY_ACTION, QUERY_PATH } from '#local/emulator/api.ts';
import { type Emulator, startEmulator } from '#local/emulator/emulator.ts';

// The package is CommonJS. Node's ESM loader (and so the types) hand over `module.exports`, whose
// `default` is the client class; vitest's interop hands over the class itself. Accept both.
type OpenApiClient = typeof OpenApiModule.default;
const OpenApi: OpenApiClient =
  typeof OpenApiModule === 'function' ? (OpenApiModule as OpenApiClient) : OpenApiModule.default;

interface Envelope {
  requestId: string;
  success: boolean;
  errCode: string | null;
  data: {
    id: string;
    jobStatus: string;
    jobTrainProgress: number;
    resultImageUrl: string[] | null;
    createTime: string;
  };
}

interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

let emulator: Emulator;
// The official client dates requests with the real clock, so the emulator's clock may only run ahead
// of it by less than 15 minutes: enough to move jobs along.
let ahead = 0;

beforeAll(async () => {
  emulator = await startEmulator({ clock: () => Date.now() + ahead });
});
afterAll(() => emulator.close());

function client(credentials: Credentials) {
  return new OpenApi(
    new $OpenApi.Config({ ...credentials, endpoint: `127.0.0.1:${emulator.port}`, protocol: 'http' }),
  );
}

function params(action: string, pathname: string, method: 'GET' | 'POST') {
  return new $OpenApi.Params({
    action,
    version: API_VERSION,
    protocol: 'HTTP',
    pathname,
    method,
    authType: 'AK',
    style: 'ROA',
    reqBodyType: 'json',
    bodyType: 'json',
  });
}

async function query(credentials: Credentials, inferenceJobId: string) {
  const response = await client(credentials).callApi(
    params(QUERY_ACTION, QUERY_PATH, 'GET'),
    new $OpenApi.OpenApiRequest({ query: { inferenceJobId } }),
    new $Util.RuntimeOptions({}),
  );
  return response as { statusCode: number; headers: Record<string, string>; body: Envelope };
}

async function add(credentials: Credentials, action: string, body: Record<string, unknown>) {
  const response = await client(credentials).callApi(
    params(action, ADD_PATH, 'POST'),
    new $OpenApi.OpenApiRequest({ body }),
    new $Util.RuntimeOptions({}),
  );
  return response as { statusCode: number; body: Envelope };
}

function ak(): Credentials {
  return { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret };
}

describe('the official openapi-client against the emulator', () => {
  it('creates a job, then sees it go WAIT_SCHEDULE → INFERRING → FINISHED', async () => {
    const created = await add(ak(), ADD_ACTIONS[0] ?? '', {
      imageUrl: ['https://example.com/me.png'],
      prompt: 'a <special-token> in the snow',
      imageNumber: 3,
    });
    expect(created.statusCode).toBe(200);
    expect(created.body).toMatchObject({
      success: true,
      errCode: null,
      data: { jobStatus: 'WAIT_SCHEDULE' },
    });
    const { id } = created.body.data;
    expect(typeof id).toBe('string');

    const waiting = await query(ak(), id);
    expect(waiting.headers['x-acs-request-id']).toBe(waiting.body.requestId);
    expect(waiting.body.data).toMatchObject({ id, jobStatus: 'WAIT_SCHEDULE', resultImageUrl: null });
    expect(waiting.body.data.createTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);

    ahead += 6000;
    const inferring = await query(ak(), id);
    expect(inferring.body.data).toMatchObject({ jobStatus: 'INFERRING', resultImageUrl: null });
    expect(inferring.body.data.jobTrainProgress).toBeGreaterThan(0);
    expect(inferring.body.data.jobTrainProgress).toBeLessThan(1);

    ahead += 6000;
    const finished = await query(ak(), id);
    expect(finished.body.data).toMatchObject({
      jobStatus: 'FINISHED',
      jobTrainProgress: 1,
      resultImageUrl: ['0000.png', '0001.png', '0002.png'],
    });
  });

  it('accepts the other action name for the add path', async () => {
    const created = await add(ak(), ADD_ACTIONS[1] ?? '', { imageUrl: ['u'], prompt: 'p' });
    expect(created.body.data.jobStatus).toBe('WAIT_SCHEDULE');
  });

  it('queries with minted STS credentials', async () => {
    const id = emulator.createJob();
    const sts = emulator.mintStsCredentials();
    expect(sts.accessKeyId).toMatch(/^STS\.EMU/);
    const response = await query(sts, id);
    expect(response.body.data.id).toBe(id);
  });

  // The client sends these literally on the wire (`!'()*`) or encoded, and signs them strictly encoded.
  it.each([
    'job id with spaces',
    'a+b=c&d',
    'path/like/id',
    '任务✓',
    "tilde~star*bang!quote'paren()",
    '100%25 done?#',
  ])('verifies the signature of a query for %j', async (id) => {
    emulator.createJob({ id });
    const sts = emulator.mintStsCredentials();
    expect((await query(ak(), id)).body.data.id).toBe(id);
    expect((await query(sts, id)).body.data.id).toBe(id);
  });

  it('surfaces an unknown job as a 404 error carrying the envelope', async () => {
    const error = await query(ak(), 'no-such-job').catch((e: unknown) => e);
    expect(error).toMatchObject({ data: { statusCode: 404, errCode: 'B_DATA_NOT_FOUND_EXCEPTION' } });
  });

  it('surfaces a wrong secret as SignatureDoesNotMatch', async () => {
    const error = await query({ ...ak(), accessKeySecret: 'wrong' }, '1').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SignatureDoesNotMatch', data: { statusCode: 400 } });
  });

  it('surfaces an expired STS token as InvalidSecurityToken.Expired', async () => {
    const sts = emulator.mintStsCredentials(1000);
    ahead += 2000;
    const error = await query(sts, '1').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'InvalidSecurityToken.Expired', data: { statusCode: 403 } });
  });
});
