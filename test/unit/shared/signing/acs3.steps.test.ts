/**
 * Each ACS3 step on small hand-checked examples (the recorded vectors and the oracle properties cover the
 * same functions at scale; these pin the individual rules of docs/aicontent-api.md §3.2 one by one).
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ALGORITHM,
  authorizationHeader,
  type CanonicalHeaders,
  type Credentials,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  EMPTY_PAYLOAD_HASH,
  formatAcsDate,
  hashPayload,
  percentEncode,
  protocolHeaders,
  type SignableRequest,
  SigningError,
  type SigningParams,
  sign,
  signature,
  stringToSign,
} from '#shared/signing/acs3.ts';

/** SHA-256("abc"), FIPS 180-2 appendix B.1. */
const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('percentEncode', () => {
  it.each([
    ['', ''],
    ['abcXYZ019', 'abcXYZ019'],
    ['unreserved-_.~', 'unreserved-_.~'],
    ['job id', 'job%20id'],
    ['a+b', 'a%2Bb'],
    ["!'()*", '%21%27%28%29%2A'],
    ['tilde~star*bang!', 'tilde~star%2Abang%21'],
    ['a/b=c&d', 'a%2Fb%3Dc%26d'],
    ['100% done?#', '100%25%20done%3F%23'],
    ['\n\t', '%0A%09'],
    ['é', '%C3%A9'],
    ['ÿ', '%C3%BF'],
    ['中', '%E4%B8%AD'],
    ['😀', '%F0%9F%98%80'],
  ])('%j → %j', (value, encoded) => {
    expect(percentEncode(value)).toBe(encoded);
  });

  it('writes UTF-8 bytes in upper-case hex only', () => {
    const encoded = percentEncode('ÿþ\u00ad\u07ff\uffef😀 ,;');
    expect(encoded).toBe('%C3%BF%C3%BE%C2%AD%DF%BF%EF%BF%AF%F0%9F%98%80%20%2C%3B');
    expect(encoded).not.toMatch(/%[0-9A-F]?[a-f]/);
  });

  it('throws SigningError for a lone surrogate', () => {
    for (const value of ['\ud800', 'a\udbffb', '\udc00', 'x\udfff', '😀'.slice(0, 1)]) {
      expect(() => percentEncode(value), JSON.stringify(value)).toThrow(SigningError);
    }
  });
});

describe('canonicalQuery', () => {
  it('is empty without a query or with an empty one', () => {
    expect(canonicalQuery(undefined)).toBe('');
    expect(canonicalQuery({})).toBe('');
  });

  it('joins sorted k=v pairs with &, values strictly encoded', () => {
    expect(canonicalQuery({ inferenceJobId: 'job id+1', a: '*' })).toBe('a=%2A&inferenceJobId=job%20id%2B1');
  });

  it('writes k= for an empty and for an undefined value', () => {
    expect(canonicalQuery({ b: '', a: undefined, c: 'x' })).toBe('a=&b=&c=x');
  });

  it('sorts keys by UTF-16 code unit: case-sensitive, not numeric, not by code point', () => {
    // 'B' 0x42 < 'Z' 0x5A < '_' 0x5F < 'a' 0x61 < 'a10' < 'a9' < 'é' 0xE9 < '😀' 0xD83D… < 'Ａ' 0xFF21
    // (by code point '😀' U+1F600 would come after 'Ａ' U+FF21).
    const query = { Ａ: '7', '😀': '6', é: '5', a9: '4', a10: '3', a: '2', _: '1', Z: '0', B: '' };
    expect(canonicalQuery(query)).toBe('B=&Z=0&_=1&a=2&a10=3&a9=4&é=5&😀=6&Ａ=7');
  });

  it('leaves keys as they are (only values are encoded)', () => {
    expect(canonicalQuery({ 'a b': 'c d' })).toBe('a b=c%20d');
  });
});

describe('canonicalHeaders', () => {
  it('keeps host, content-type and x-acs-*, lower-cased, trimmed and sorted', () => {
    const result = canonicalHeaders({
      'X-Acs-Version': '20240611',
      Host: ' aicontent.aliyuncs.com ',
      'Content-Type': '\tapplication/json; charset=utf-8 \t',
      'x-acs-action': 'A',
    });
    expect(result).toEqual<CanonicalHeaders>({
      canonical:
        'content-type:application/json; charset=utf-8\n' +
        'host:aicontent.aliyuncs.com\n' +
        'x-acs-action:A\n' +
        'x-acs-version:20240611\n',
      signedHeaders: 'content-type;host;x-acs-action;x-acs-version',
    });
  });

  it('ignores headers that are not signed', () => {
    const result = canonicalHeaders({
      host: 'h',
      accept: 'application/json',
      'user-agent': 'ua',
      authorization: 'ACS3-HMAC-SHA256 …',
      'x-custom': 'c',
      'x-acsfoo': 'no dash after acs',
      'content-md5': 'm',
      'x-acs': 'no trailing dash',
    });
    expect(result).toEqual<CanonicalHeaders>({ canonical: 'host:h\n', signedHeaders: 'host' });
  });

  it('merges names repeated in any case: values trimmed, sorted, joined by a bare comma', () => {
    const result = canonicalHeaders({ 'X-ACS-M': 'z', 'x-acs-m': ' y ', 'X-Acs-M': 'x', host: 'h' });
    expect(result).toEqual<CanonicalHeaders>({
      canonical: 'host:h\nx-acs-m:x,y,z\n',
      signedHeaders: 'host;x-acs-m',
    });
  });

  it('keeps inner whitespace and empty values', () => {
    expect(canonicalHeaders({ 'x-acs-a': 'a  b', 'x-acs-b': '   ' }).canonical).toBe(
      'x-acs-a:a  b\nx-acs-b:\n',
    );
  });

  it('is empty when nothing is signed', () => {
    expect(canonicalHeaders({ accept: 'x' })).toEqual<CanonicalHeaders>({ canonical: '', signedHeaders: '' });
  });
});

describe('hashPayload', () => {
  it('is the SHA-256 of the empty string for no body, an empty string or no bytes', () => {
    expect(EMPTY_PAYLOAD_HASH).toBe(createHash('sha256').update('').digest('hex'));
    expect(hashPayload()).toBe(EMPTY_PAYLOAD_HASH);
    expect(hashPayload(undefined)).toBe(EMPTY_PAYLOAD_HASH);
    expect(hashPayload('')).toBe(EMPTY_PAYLOAD_HASH);
    expect(hashPayload(new Uint8Array())).toBe(EMPTY_PAYLOAD_HASH);
  });

  it('hashes a string as its UTF-8 bytes: same hash as the bytes themselves', () => {
    expect(hashPayload('abc')).toBe(SHA256_ABC);
    expect(hashPayload(new TextEncoder().encode('abc'))).toBe(SHA256_ABC);
    expect(hashPayload(Buffer.from('abc'))).toBe(SHA256_ABC);
    const body = '{"prompt":"猫 é 😀"}';
    expect(hashPayload(body)).toBe(hashPayload(new TextEncoder().encode(body)));
    expect(hashPayload('é')).toBe(hashPayload(new Uint8Array([0xc3, 0xa9])));
    expect(hashPayload('é')).not.toBe(hashPayload(new Uint8Array([0xe9])));
  });

  it('hashes a Uint8Array view, not its whole underlying buffer', () => {
    const view = new TextEncoder().encode('xxabcxx').subarray(2, 5);
    expect(hashPayload(view)).toBe(SHA256_ABC);
  });
});

describe('canonicalRequest, stringToSign, signature, authorizationHeader', () => {
  it('joins the six parts with \\n, the canonical headers bringing their own', () => {
    const headers: CanonicalHeaders = { canonical: 'host:h\nx-acs-a:1\n', signedHeaders: 'host;x-acs-a' };
    expect(canonicalRequest('GET', '/', 'a=1', headers, 'HASH')).toBe(
      'GET\n/\na=1\nhost:h\nx-acs-a:1\n\nhost;x-acs-a\nHASH',
    );
    expect(canonicalRequest('POST', '/p', '', headers, 'HASH')).toBe(
      'POST\n/p\n\nhost:h\nx-acs-a:1\n\nhost;x-acs-a\nHASH',
    );
  });

  it('string to sign: the algorithm, \\n, the hex SHA-256 of the canonical request', () => {
    expect(stringToSign('abc')).toBe(`ACS3-HMAC-SHA256\n${SHA256_ABC}`);
  });

  it('signature: lower-case hex HMAC-SHA256 (RFC 4231 test case 2)', () => {
    expect(signature('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('signature: a secret longer than the 64-byte block is hashed first (RFC 2104)', () => {
    const secret = 'k'.repeat(100);
    const message = 'Test Using Larger Than Block-Size Key - Hash Key First';
    expect(signature(secret, message)).toBe(hmacByDefinition(Buffer.from(secret), message));
    expect(signature('Jefe', message)).toBe(hmacByDefinition(Buffer.from('Jefe'), message));
  });

  it('signature: the secret is taken as UTF-8', () => {
    expect(signature('clé', 'm')).toBe(hmacByDefinition(Buffer.from([0x63, 0x6c, 0xc3, 0xa9]), 'm'));
  });

  it('authorization header: no spaces after the commas', () => {
    expect(authorizationHeader('LTAI5t', 'host;x-acs-date', 'abc123')).toBe(
      'ACS3-HMAC-SHA256 Credential=LTAI5t,SignedHeaders=host;x-acs-date,Signature=abc123',
    );
  });
});

describe('formatAcsDate', () => {
  it('drops the milliseconds (no rounding) and keeps the Z', () => {
    expect(formatAcsDate(new Date('2024-07-12T06:44:19.999Z'))).toBe('2024-07-12T06:44:19Z');
    expect(formatAcsDate(new Date('2024-07-12T06:44:19.000Z'))).toBe('2024-07-12T06:44:19Z');
  });

  it('writes UTC, zero-padded', () => {
    expect(formatAcsDate(new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6)))).toBe('2025-01-02T03:04:05Z');
    expect(formatAcsDate(new Date('2024-07-12T14:44:19.5+08:00'))).toBe('2024-07-12T06:44:19Z');
  });
});

describe('protocolHeaders', () => {
  const params: SigningParams = { date: '2025-03-14T09:26:53Z', nonce: '9f2c1e7a5b3d4f60718293a4b5c6d7e8' };

  it('without STS: date, nonce and payload hash only', () => {
    expect(protocolHeaders({ accessKeyId: 'LTAI', accessKeySecret: 's' }, params, 'HASH')).toStrictEqual({
      'x-acs-date': '2025-03-14T09:26:53Z',
      'x-acs-signature-nonce': '9f2c1e7a5b3d4f60718293a4b5c6d7e8',
      'x-acs-content-sha256': 'HASH',
    });
  });

  it('with STS: adds x-acs-accesskey-id and x-acs-security-token', () => {
    const credentials: Credentials = {
      accessKeyId: 'STS.id',
      accessKeySecret: 's',
      securityToken: 'CAIS+tok/=',
    };
    expect(protocolHeaders(credentials, params, 'HASH')).toStrictEqual({
      'x-acs-date': '2025-03-14T09:26:53Z',
      'x-acs-signature-nonce': '9f2c1e7a5b3d4f60718293a4b5c6d7e8',
      'x-acs-content-sha256': 'HASH',
      'x-acs-accesskey-id': 'STS.id',
      'x-acs-security-token': 'CAIS+tok/=',
    });
  });

  it('an empty token counts as no token (as in the official client)', () => {
    const headers = protocolHeaders(
      { accessKeyId: 'a', accessKeySecret: 's', securityToken: '' },
      params,
      'H',
    );
    expect(Object.keys(headers)).toEqual(['x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256']);
  });
});

describe('sign', () => {
  const request: SignableRequest = {
    method: 'GET',
    pathname: '/',
    query: { inferenceJobId: 'job 1' },
    headers: {
      host: 'aicontent.aliyuncs.com',
      'x-acs-action': 'PersonalizedTextToImageQueryPreModelInferenceJobInfo',
      'x-acs-version': '20240611',
      accept: 'application/json',
    },
  };
  const credentials: Credentials = { accessKeyId: 'STS.id', accessKeySecret: 'secret', securityToken: 'tok' };
  const params: SigningParams = { date: '2025-03-14T09:26:53Z', nonce: 'n1' };

  it('signs the hand-written canonical request', () => {
    const canonical = [
      'GET',
      '/',
      'inferenceJobId=job%201',
      'host:aicontent.aliyuncs.com',
      'x-acs-accesskey-id:STS.id',
      'x-acs-action:PersonalizedTextToImageQueryPreModelInferenceJobInfo',
      `x-acs-content-sha256:${EMPTY_PAYLOAD_HASH}`,
      'x-acs-date:2025-03-14T09:26:53Z',
      'x-acs-security-token:tok',
      'x-acs-signature-nonce:n1',
      'x-acs-version:20240611',
      '',
      'host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version',
      EMPTY_PAYLOAD_HASH,
    ].join('\n');
    const toSign = `${ALGORITHM}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const expected = createHmac('sha256', 'secret').update(toSign).digest('hex');

    const headers = sign(request, credentials, params);
    expect(headers).toStrictEqual({
      ...request.headers,
      'x-acs-date': '2025-03-14T09:26:53Z',
      'x-acs-signature-nonce': 'n1',
      'x-acs-content-sha256': EMPTY_PAYLOAD_HASH,
      'x-acs-accesskey-id': 'STS.id',
      'x-acs-security-token': 'tok',
      authorization:
        'ACS3-HMAC-SHA256 Credential=STS.id,SignedHeaders=host;x-acs-accesskey-id;x-acs-action;' +
        `x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=${expected}`,
    });
  });

  it('hashes the body into x-acs-content-sha256', () => {
    const headers = sign(
      {
        ...request,
        method: 'POST',
        body: 'abc',
        headers: { ...request.headers, 'content-type': 'text/plain' },
      },
      credentials,
      params,
    );
    expect(headers['x-acs-content-sha256']).toBe(SHA256_ABC);
    expect(headers.authorization).toContain('SignedHeaders=content-type;host;');
  });

  it('lets the protocol headers win over same-named caller headers', () => {
    const headers = sign(
      {
        ...request,
        headers: { ...request.headers, 'x-acs-date': 'stale', 'x-acs-signature-nonce': 'reused' },
      },
      credentials,
      params,
    );
    expect(headers['x-acs-date']).toBe(params.date);
    expect(headers['x-acs-signature-nonce']).toBe(params.nonce);
    expect(headers.authorization).toBe(sign(request, credentials, params).authorization);
  });

  it('throws SigningError without a host header, accepts one in any case', () => {
    const { host: _, ...withoutHost } = request.headers;
    expect(() => sign({ ...request, headers: withoutHost }, credentials, params)).toThrow(SigningError);
    expect(() => sign({ ...request, headers: withoutHost }, credentials, params)).toThrow(/host/);
    let error: unknown;
    try {
      sign({ ...request, headers: withoutHost }, credentials, params);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('SigningError');
    expect(
      sign({ ...request, headers: { ...withoutHost, Host: 'h' } }, credentials, params).authorization,
    ).toContain('SignedHeaders=host;');
  });

  it('throws SigningError for a lone surrogate in a query value', () => {
    expect(() => sign({ ...request, query: { inferenceJobId: 'a\ud800' } }, credentials, params)).toThrow(
      SigningError,
    );
  });

  it('does not mutate its inputs', () => {
    const input: SignableRequest = {
      method: 'POST',
      pathname: '/p',
      query: { b: '2', a: undefined },
      headers: { 'X-Acs-Ext': ' v ', ...request.headers },
      body: new Uint8Array([1, 2, 3]),
    };
    const snapshot = structuredClone({ input, credentials, params });
    const frozen = deepFreeze({ input, credentials, params });
    const headers = sign(frozen.input, frozen.credentials, frozen.params);
    expect({ input, credentials, params }).toStrictEqual(snapshot);
    expect(headers).not.toBe(input.headers);
    expect(input.headers).not.toHaveProperty('authorization');
  });
});

/** HMAC-SHA256 written out from its definition: H((K ^ opad) || H((K ^ ipad) || m)), K padded to 64 bytes. */
function hmacByDefinition(secret: Buffer, message: string): string {
  const key = Buffer.alloc(64);
  (secret.length > 64 ? createHash('sha256').update(secret).digest() : secret).copy(key);
  const pad = (byte: number) => Buffer.from(key.map((k) => k ^ byte));
  const inner = createHash('sha256').update(pad(0x36)).update(message).digest();
  return createHash('sha256').update(pad(0x5c)).update(inner).digest('hex');
}

/** Freezes an object graph so that any write to it throws (test modules run in strict mode). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
