/**
 * The gateway checks, one rejection at a time: requests built with our signer and `fetch`, then broken
 * in exactly one way. Every rejection must carry the gateway body and `x-acs-request-id`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_PATH, QUERY_ACTION, QUERY_PATH } from '#local/emulator/api.ts';
import { type Emulator, startEmulator } from '#local/emulator/emulator.ts';
import { formatAcsDate } from '#shared/signing/acs3.ts';
import {
  callEmulator,
  type EmulatorResponse,
  queryJob,
  sendSigned,
  signCall,
} from '#test/helpers/emulator.ts';

let emulator: Emulator;
let now = Date.parse('2024-07-12T06:44:19Z');
let jobId: string;

beforeAll(async () => {
  emulator = await startEmulator({ clock: () => now });
  jobId = emulator.createJob();
});
afterAll(() => emulator.close());

const date = (offsetMs = 0) => formatAcsDate(new Date(now + offsetMs));

function expectGatewayError(response: EmulatorResponse, status: number, code: string): void {
  expect(response.status).toBe(status);
  const requestId = response.headers.get('x-acs-request-id');
  expect(requestId).toMatch(/^[0-9A-F-]{36}$/);
  expect(response.body).toEqual({
    RequestId: requestId,
    HostId: `127.0.0.1:${emulator.port}`,
    Code: code,
    Message: expect.any(String),
    Recommend: `https://api.aliyun.com/troubleshoot?q=${code}&product=aicontent&requestId=${requestId}`,
  });
}

describe('accepted requests', () => {
  it('accepts a request signed with the AccessKey pair', async () => {
    const response = await queryJob(emulator, jobId, { date: date() });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ success: true, data: { id: jobId } });
  });

  const odd = "tilde~star*bang!quote'paren() and space+plus/slash";
  it('rebuilds the canonical query from decoded parameters, whatever the wire encoding', async () => {
    emulator.createJob({ id: odd });
    const strict = await queryJob(emulator, odd, { date: date() });
    expect(strict.body).toMatchObject({ data: { id: odd } });
    // What Node's querystring (the official client) sends: `!'()*~` literal.
    const loose = await queryJob(emulator, odd, {
      date: date(),
      wireQuery: `inferenceJobId=${encodeURIComponent(odd)}`,
    });
    expect(loose.body).toMatchObject({ data: { id: odd } });
  });

  it('accepts minted STS credentials', async () => {
    const response = await queryJob(emulator, jobId, {
      date: date(),
      credentials: emulator.mintStsCredentials(),
    });
    expect(response.status).toBe(200);
  });

  it('accepts a date up to 15 minutes off either way', async () => {
    expect((await queryJob(emulator, jobId, { date: date(-15 * 60_000) })).status).toBe(200);
    expect((await queryJob(emulator, jobId, { date: date(15 * 60_000) })).status).toBe(200);
  });
});

describe('signature', () => {
  it('rejects a tampered signature', async () => {
    const response = await queryJob(emulator, jobId, {
      date: date(),
      tamper: (h) => {
        // Change the first hex digit to another one (replacing it with a fixed digit is a no-op 1 time in 16).
        h.authorization = (h.authorization ?? '').replace(
          /Signature=(.)/,
          (_, c) => `Signature=${c === '0' ? '1' : '0'}`,
        );
      },
    });
    expectGatewayError(response, 400, 'SignatureDoesNotMatch');
    expect(response.body.Message).toContain('canonical request');
  });

  it('rejects a query changed after signing', async () => {
    const response = await queryJob(emulator, jobId, { date: date(), wireQuery: 'inferenceJobId=other' });
    expectGatewayError(response, 400, 'SignatureDoesNotMatch');
  });

  it('rejects a query parameter sent twice, even when one of its values is the one signed', async () => {
    for (const wireQuery of [
      `inferenceJobId=B&inferenceJobId=${jobId}`,
      `inferenceJobId=${jobId}&inferenceJobId=B`,
    ]) {
      const response = await queryJob(emulator, jobId, { date: date(), wireQuery });
      expectGatewayError(response, 400, 'SignatureDoesNotMatch');
      expect(response.body.Message).toContain('The query parameter inferenceJobId is sent more than once');
    }
  });

  it('never quotes the security token of a refused request', async () => {
    const sts = emulator.mintStsCredentials();
    const response = await queryJob(emulator, jobId, {
      date: date(),
      credentials: { ...sts, accessKeySecret: 'not-the-secret' },
    });
    expectGatewayError(response, 400, 'SignatureDoesNotMatch');
    expect(response.text).not.toContain(sts.securityToken);
    expect(response.body.Message).toContain('x-acs-security-token:[redacted]');
  });

  it('rejects a signed header changed after signing', async () => {
    const response = await queryJob(emulator, jobId, {
      date: date(),
      tamper: (h) => {
        h['x-acs-action'] = `${QUERY_ACTION}X`;
      },
    });
    expectGatewayError(response, 400, 'SignatureDoesNotMatch');
  });

  it('rejects a wrong secret', async () => {
    const credentials = { accessKeyId: emulator.accessKeyId, accessKeySecret: 'not-the-secret' };
    expectGatewayError(
      await queryJob(emulator, jobId, { date: date(), credentials }),
      400,
      'SignatureDoesNotMatch',
    );
  });

  it('rejects a body whose hash is not x-acs-content-sha256', async () => {
    const body = JSON.stringify({ imageUrl: ['u'], prompt: 'p' });
    const response = await callEmulator(emulator, {
      method: 'POST',
      pathname: ADD_PATH,
      body,
      sentBody: body.replace('"p"', '"q"'),
      date: date(),
    });
    expectGatewayError(response, 400, 'SignatureDoesNotMatch');
    expect(response.body.Message).toContain('x-acs-content-sha256');
  });

  it('rejects an x-acs header sent but not signed', async () => {
    const response = await queryJob(emulator, jobId, {
      date: date(),
      tamper: (h) => {
        h['x-acs-extra'] = 'added after signing';
      },
    });
    expectGatewayError(response, 400, 'IncompleteSignature');
  });

  it('rejects a signed header that is not sent', async () => {
    const response = await queryJob(emulator, jobId, {
      date: date(),
      tamper: (h) => {
        h.authorization = (h.authorization ?? '').replace('SignedHeaders=', 'SignedHeaders=x-acs-ghost;');
      },
    });
    expectGatewayError(response, 400, 'IncompleteSignature');
  });

  it('rejects another signature scheme', async () => {
    const response = await queryJob(emulator, jobId, {
      date: date(),
      tamper: (h) => {
        h.authorization = `acs ${emulator.accessKeyId}:c2lnbmF0dXJl`;
      },
    });
    expectGatewayError(response, 400, 'IncompleteSignature');
  });

  it('rejects an Authorization without its Signature', async () => {
    const response = await queryJob(emulator, jobId, {
      date: date(),
      tamper: (h) => {
        h.authorization = (h.authorization ?? '').replace(/,Signature=.*/, '');
      },
    });
    expectGatewayError(response, 400, 'IncompleteSignature');
  });

  it.each(['x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256'])(
    'rejects a request without %s',
    async (name) => {
      const response = await queryJob(emulator, jobId, {
        date: date(),
        tamper: (h) => {
          delete h[name];
        },
      });
      expectGatewayError(response, 400, 'MissingParameter');
      expect(response.body.Message).toContain(name);
    },
  );

  it('rejects a request without authorization', async () => {
    const response = await queryJob(emulator, jobId, {
      date: date(),
      tamper: (h) => {
        delete h.authorization;
      },
    });
    expectGatewayError(response, 400, 'IncompleteSignature');
  });
});

describe('date and nonce', () => {
  it.each([
    ['16 minutes ago', -16 * 60_000],
    ['16 minutes ahead', 16 * 60_000],
  ])('rejects a date %s', async (_, offset) => {
    expectGatewayError(
      await queryJob(emulator, jobId, { date: date(offset) }),
      400,
      'InvalidTimeStamp.Expired',
    );
  });

  it.each([
    '2024-07-12 06:44:19',
    '2024-07-12T06:44:19.000Z',
    'Fri, 12 Jul 2024 06:44:19 GMT',
    '2024-02-30T06:44:19Z',
  ])('rejects the date %j', async (value) => {
    expectGatewayError(await queryJob(emulator, jobId, { date: value }), 400, 'InvalidTimeStamp.Format');
  });

  it('rejects a replayed request', async () => {
    const call = { query: { inferenceJobId: jobId }, date: date() };
    const headers = signCall(emulator, call);
    expect((await sendSigned(emulator, headers, call)).status).toBe(200);
    expectGatewayError(await sendSigned(emulator, headers, call), 400, 'SignatureNonceUsed');
  });

  it('does not burn the nonce of a rejected request', async () => {
    const nonce = 'nonce-of-a-rejected-request';
    const credentials = { accessKeyId: emulator.accessKeyId, accessKeySecret: 'wrong' };
    expect((await queryJob(emulator, jobId, { date: date(), nonce, credentials })).status).toBe(400);
    expect((await queryJob(emulator, jobId, { date: date(), nonce })).status).toBe(200);
  });
});

describe('AccessKey and STS token', () => {
  it('rejects an unknown AccessKey', async () => {
    const credentials = { accessKeyId: 'LTAI5tUNKNOWN', accessKeySecret: 'whatever' };
    expectGatewayError(
      await queryJob(emulator, jobId, { date: date(), credentials }),
      404,
      'InvalidAccessKeyId.NotFound',
    );
  });

  it('rejects an expired token', async () => {
    const credentials = emulator.mintStsCredentials(60_000);
    now += 61_000;
    expectGatewayError(
      await queryJob(emulator, jobId, { date: date(), credentials }),
      403,
      'InvalidSecurityToken.Expired',
    );
  });

  it('rejects a forged token', async () => {
    const real = emulator.mintStsCredentials();
    const [prefix, payload, mac] = real.securityToken.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as { exp: number };
    const forged = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86_400_000 })).toString(
      'base64url',
    );
    const credentials = { ...real, securityToken: `${prefix}.${forged}.${mac}` };
    expectGatewayError(
      await queryJob(emulator, jobId, { date: date(), credentials }),
      403,
      'InvalidSecurityToken.Malformed',
    );
  });

  it('rejects a token that is not ours', async () => {
    const credentials = { ...emulator.mintStsCredentials(), securityToken: 'CAIS.some+real/looking==' };
    expectGatewayError(
      await queryJob(emulator, jobId, { date: date(), credentials }),
      403,
      'InvalidSecurityToken.Malformed',
    );
  });

  it('rejects a token minted for another AccessKey', async () => {
    const mine = emulator.mintStsCredentials();
    const other = emulator.mintStsCredentials();
    const credentials = { ...mine, securityToken: other.securityToken };
    expectGatewayError(
      await queryJob(emulator, jobId, { date: date(), credentials }),
      403,
      'InvalidSecurityToken.MismatchWithAccessKey',
    );
  });

  it('rejects a token presented with the permanent AccessKey', async () => {
    const credentials = {
      accessKeyId: emulator.accessKeyId,
      accessKeySecret: emulator.accessKeySecret,
      securityToken: emulator.mintStsCredentials().securityToken,
    };
    expectGatewayError(
      await queryJob(emulator, jobId, { date: date(), credentials }),
      403,
      'InvalidSecurityToken.MismatchWithAccessKey',
    );
  });

  it('rejects x-acs-accesskey-id that is not the Credential AccessKey', async () => {
    const credentials = emulator.mintStsCredentials();
    const response = await queryJob(emulator, jobId, {
      date: date(),
      credentials: { accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret },
      headers: {
        'x-acs-accesskey-id': 'STS.SOMEONEELSE',
        'x-acs-security-token': credentials.securityToken,
      },
    });
    expectGatewayError(response, 403, 'InvalidSecurityToken.MismatchWithAccessKey');
  });

  it('rejects an STS AccessKey without a token', async () => {
    const { accessKeyId, accessKeySecret } = emulator.mintStsCredentials();
    expectGatewayError(
      await queryJob(emulator, jobId, { date: date(), credentials: { accessKeyId, accessKeySecret } }),
      403,
      'MissingSecurityToken',
    );
  });
});

describe('API lookup', () => {
  it('rejects an unknown action', async () => {
    const response = await queryJob(emulator, jobId, { date: date(), action: 'DescribeNothing' });
    expectGatewayError(response, 404, 'InvalidApi.NotFound');
  });

  it('rejects an unknown path', async () => {
    const response = await callEmulator(emulator, { date: date(), pathname: `${QUERY_PATH}/more` });
    expectGatewayError(response, 404, 'InvalidApi.NotFound');
  });

  it('rejects the right path with the wrong method', async () => {
    const response = await callEmulator(emulator, { date: date(), method: 'POST', action: QUERY_ACTION });
    expectGatewayError(response, 404, 'InvalidApi.NotFound');
  });

  it('rejects an unknown version', async () => {
    const response = await queryJob(emulator, jobId, { date: date(), version: '2023-01-01' });
    expectGatewayError(response, 404, 'InvalidVersion');
  });
});
