/**
 * Property tests of our ACS3 signer with the official Alibaba Cloud client as the oracle.
 *
 * - `getAuthorization` mode: the request the official `doRequest` (openapi-client 0.4.15) would build is
 *   rebuilt here header by header and handed to the real `OpenApiUtil.getAuthorization` (openapi-util 0.3.3).
 * - `callApi` mode: the real `callApi` runs end to end with the network cut (`$tea.doAction` replaced by a
 *   function that captures the final request and throws) and its clock and nonce pinned
 *   (`OpenApiUtil.getTimestamp`, `Util.getNonce` of the tea-util copy openapi-client itself loads).
 *
 * Out of scope, on purpose: pathnames holding `+`, `*` or `%7E`. Our signer uses the pathname verbatim (the
 * caller passes it encoded); openapi-util rewrites the first occurrence of each, a quirk (no /g) that the
 * other official runtimes do not share. Our paths never hold those characters.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ALGORITHM,
  type Credentials,
  formatAcsDate,
  hashPayload,
  percentEncode,
  SigningError,
  sign,
} from '#shared/signing/acs3.ts';
import {
  type OfficialRequest,
  OpenApi,
  OpenApiUtil,
  TeaUtil,
  TeaUtilModule,
  tea,
} from '#test/helpers/officialClient.ts';

const RUNS = { numRuns: 1000 } as const;
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Header names `sign()` itself owns, or that the callers below always set in lower case. */
const RESERVED = new Set([
  'host',
  'content-type',
  'x-acs-action',
  'x-acs-version',
  'x-acs-date',
  'x-acs-signature-nonce',
  'x-acs-content-sha256',
  'x-acs-accesskey-id',
  'x-acs-security-token',
  'x-acs-credentials-provider',
  'user-agent',
  'accept',
  'authorization',
]);

const isSigned = (name: string) => {
  const lower = name.toLowerCase();
  return lower === 'host' || lower === 'content-type' || lower.startsWith('x-acs-');
};

// ---------------------------------------------------------------------------------------------------------
// Arbitraries

const PUNCTUATION = [...` !"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`, '\t', '\n', '\r', '\u00a0', '\u3000'];

/** Any Unicode text without lone surrogates: graphemes (emoji, combining marks) or any code points. */
const unicodeText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
);
const punctuationText = fc.string({ unit: fc.constantFrom(...PUNCTUATION), maxLength: 48 });
const jobId = fc.oneof(
  unicodeText,
  punctuationText,
  fc.constant(''),
  fc.uuid(),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
);
const queryValue = fc.option(jobId, { nil: undefined, freq: 8 });
const queryKey = fc.oneof(
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,15}$/),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: fc.constantFrom(...PUNCTUATION), maxLength: 4 }),
);
const extraQuery = fc.dictionary(queryKey, queryValue, { maxKeys: 4 });

const host = fc
  .tuple(fc.mixedCase(fc.domain()), fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }))
  .map(([domain, port]) => (port === undefined ? domain : `${domain}:${port}`));
const pathname = fc.oneof(
  fc.constantFrom('/', '/api/v1/personalizedtxt2img/queryPreModelInferenceJobInfo'),
  fc
    .array(fc.stringMatching(/^([A-Za-z0-9._~-]|%2F|%20|%25){0,8}$/), { minLength: 1, maxLength: 4 })
    .map((segments) => `/${segments.join('/')}`),
);
const action = fc.oneof(
  fc.constantFrom(
    'PersonalizedTextToImageQueryPreModelInferenceJobInfo',
    'PersonalizedTextToImageAddInferenceJob',
  ),
  fc.stringMatching(/^[A-Za-z]{1,40}$/),
);
const version = fc.oneof(fc.constant('20240611'), fc.stringMatching(/^[0-9-]{1,10}$/));
const date = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map(formatAcsDate);
const nonce = fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), unicodeText);

const whitespace = fc.constantFrom('', ' ', '  ', '\t', ' \t');
const headerValue = fc.tuple(whitespace, unicodeText, whitespace).map(([a, b, c]) => `${a}${b}${c}`);
/** Extra headers: signed and unsigned ones, in mixed case, some colliding with protocol names once lowered. */
const headerName = fc
  .oneof(
    fc.mixedCase(
      fc.constantFrom(
        'x-acs-ext',
        'x-acs-request-id',
        'x-acs-date',
        'x-acs-action',
        'content-type',
        'host',
        'x-custom',
        'accept-language',
        'content-md5',
      ),
    ),
    fc.mixedCase(fc.stringMatching(/^[a-z0-9-]{1,10}$/).map((suffix) => `x-acs-${suffix}`)),
  )
  .filter((name) => !RESERVED.has(name));
const extraHeaders = fc.dictionary(headerName, headerValue, { maxKeys: 4 });

const secret = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9]{30}$/),
  unicodeText,
  // Longer than an HMAC-SHA256 block (64 bytes): the key is hashed first.
  fc.string({ unit: 'grapheme', minLength: 65, maxLength: 120 }),
);
const nonEmpty = (arb: fc.Arbitrary<string>) => arb.filter((s) => s.length > 0);
const credentials = (allowEmpty: boolean): fc.Arbitrary<Credentials> =>
  fc.record({
    accessKeyId: allowEmpty
      ? fc.oneof(fc.stringMatching(/^(LTAI|STS\.)[A-Za-z0-9]{8,24}$/), unicodeText)
      : fc.stringMatching(/^(LTAI|STS\.)[A-Za-z0-9]{8,24}$/),
    accessKeySecret: allowEmpty ? secret : nonEmpty(secret),
    securityToken: fc.option(
      fc.oneof(
        fc.stringMatching(/^CAIS[A-Za-z0-9+/]{20,400}={0,2}$/),
        allowEmpty ? unicodeText : nonEmpty(unicodeText),
      ),
      { nil: undefined },
    ),
  });

/** A JSON body as our client and the official one both serialize it. */
const jsonBody = fc.dictionary(
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.jsonValue({ maxDepth: 3 }),
  {
    maxKeys: 5,
  },
);

interface Scenario {
  method: 'GET' | 'POST';
  pathname: string;
  host: string;
  action: string;
  version: string;
  query: Record<string, string | undefined>;
  bodyObject: Record<string, unknown> | undefined;
  bodyAsBytes: boolean;
  extraHeaders: Record<string, string>;
  credentials: Credentials;
  date: string;
  nonce: string;
}

function scenario(options: {
  jobId?: fc.Arbitrary<string | undefined>;
  method?: fc.Arbitrary<'GET' | 'POST'>;
  extraHeaders?: fc.Arbitrary<Record<string, string>>;
  credentials?: fc.Arbitrary<Credentials>;
}): fc.Arbitrary<Scenario> {
  return fc
    .record({
      method: options.method ?? fc.constantFrom<'GET' | 'POST'>('GET', 'POST'),
      pathname,
      host,
      action,
      version,
      jobId: options.jobId ?? queryValue,
      extraQuery,
      bodyObject: jsonBody,
      bodyAsBytes: fc.boolean(),
      extraHeaders: options.extraHeaders ?? extraHeaders,
      credentials: options.credentials ?? credentials(true),
      date,
      nonce,
    })
    .map(({ jobId: id, extraQuery: extra, bodyObject, ...rest }) => ({
      ...rest,
      query: { inferenceJobId: id, ...extra },
      bodyObject: rest.method === 'POST' ? bodyObject : undefined,
    }));
}

// ---------------------------------------------------------------------------------------------------------
// Both sides of the comparison

/** Our side: the headers our client passes, then `sign()`. */
function signOurs(s: Scenario, telemetry?: Record<string, string>): Record<string, string> {
  const body = s.bodyObject === undefined ? undefined : JSON.stringify(s.bodyObject);
  return sign(
    {
      method: s.method,
      pathname: s.pathname,
      query: s.query,
      headers: {
        host: s.host,
        'x-acs-version': s.version,
        'x-acs-action': s.action,
        ...telemetry,
        ...s.extraHeaders,
        ...(body === undefined ? {} : { 'content-type': JSON_CONTENT_TYPE }),
      },
      body: body !== undefined && s.bodyAsBytes ? new TextEncoder().encode(body) : body,
    },
    s.credentials,
    { date: s.date, nonce: s.nonce },
  );
}

/** The official side, step by step as openapi-client 0.4.15 `doRequest` does it for V3. */
function officialRequest(s: Scenario): { request: OfficialRequest; authorization: string } {
  const headers: Record<string, string> = Object.assign(
    {
      host: s.host,
      'x-acs-version': s.version,
      'x-acs-action': s.action,
      'user-agent': TeaUtil.getUserAgent(undefined),
      'x-acs-date': s.date,
      'x-acs-signature-nonce': s.nonce,
      accept: 'application/json',
    },
    s.extraHeaders,
  );
  let payloadHash = OpenApiUtil.hexEncode(OpenApiUtil.hash(TeaUtil.toBytes(''), ALGORITHM));
  if (s.bodyObject !== undefined) {
    payloadHash = OpenApiUtil.hexEncode(
      OpenApiUtil.hash(TeaUtil.toBytes(JSON.stringify(s.bodyObject)), ALGORITHM),
    );
    headers['content-type'] = JSON_CONTENT_TYPE;
  }
  headers['x-acs-content-sha256'] = payloadHash;
  const { accessKeyId, accessKeySecret, securityToken } = s.credentials;
  if (!TeaUtil.empty(securityToken)) {
    headers['x-acs-accesskey-id'] = accessKeyId;
    headers['x-acs-security-token'] = securityToken as string;
  }
  const request: OfficialRequest = { method: s.method, pathname: s.pathname, query: { ...s.query }, headers };
  const authorization = OpenApiUtil.getAuthorization(
    request,
    ALGORITHM,
    payloadHash,
    accessKeyId,
    accessKeySecret,
  );
  return { request, authorization };
}

/** Same authorization, and every header the official client signed is in ours with the same value. */
function expectSameSignature(
  ours: Record<string, string>,
  official: Record<string, string>,
  authorization: string,
) {
  expect(ours.authorization).toBe(authorization);
  for (const name of Object.keys(official)) {
    if (isSigned(name)) expect(ours[name], name).toBe(official[name]);
  }
}

function checkAgainstGetAuthorization(s: Scenario) {
  const { request, authorization } = officialRequest(s);
  expectSameSignature(signOurs(s), request.headers, authorization);
}

// ---------------------------------------------------------------------------------------------------------

describe('sign() against the official OpenApiUtil.getAuthorization', () => {
  it('GET with any Unicode inferenceJobId, extra query keys, with and without STS', () => {
    fc.assert(fc.property(scenario({ method: fc.constant('GET') }), checkAgainstGetAuthorization), RUNS);
  });

  it('punctuation-heavy and empty ids, undefined values', () => {
    const id = fc.oneof(punctuationText, fc.constantFrom('', ' ', '~', '*', "!'()*", '%', '+', '=&'));
    fc.assert(
      fc.property(
        scenario({ jobId: fc.option(id, { nil: undefined, freq: 8 }) }),
        checkAgainstGetAuthorization,
      ),
      RUNS,
    );
  });

  it('POST with a random JSON body (as a string or as bytes)', () => {
    fc.assert(fc.property(scenario({ method: fc.constant('POST') }), checkAgainstGetAuthorization), RUNS);
  });

  it('always STS, random AccessKey id, secret and token strings, random hosts and ports', () => {
    const sts = credentials(true).chain((c) =>
      fc.oneof(nonEmpty(unicodeText), fc.stringMatching(/^CAIS.{1,300}$/)).map((securityToken) => ({
        ...c,
        securityToken,
      })),
    );
    fc.assert(fc.property(scenario({ credentials: sts }), checkAgainstGetAuthorization), RUNS);
  });

  it('agrees on header values holding lone surrogates (both hash their U+FFFD replacement)', () => {
    const lone = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff');
    const value = fc.tuple(unicodeText, lone).map(([text, surrogate]) => `${text}${surrogate}x`);
    fc.assert(
      fc.property(
        scenario({ extraHeaders: fc.dictionary(headerName, value, { minKeys: 1, maxKeys: 2 }) }),
        checkAgainstGetAuthorization,
      ),
      RUNS,
    );
  });
});

describe('lone UTF-16 surrogates in query values', () => {
  /** `prefix + lone + suffix` where the surrogate cannot pair with a neighbour. */
  const withLoneSurrogate = fc
    .tuple(unicodeText, fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff'), unicodeText)
    .map(([prefix, surrogate, suffix]) =>
      surrogate < '\udc00' ? `${prefix}${surrogate}x${suffix}` : `${prefix}${surrogate}${suffix}`,
    );

  it('ours throws SigningError where the official client throws URIError', () => {
    fc.assert(
      fc.property(withLoneSurrogate, scenario({}), (id, s) => {
        const bad = { ...s, query: { ...s.query, inferenceJobId: id } };
        expect(() => percentEncode(id)).toThrow(SigningError);
        expect(() => signOurs(bad)).toThrow(SigningError);
        expect(() => officialRequest(bad)).toThrow(URIError);
      }),
      RUNS,
    );
  });
});

describe('formatAcsDate() against the official OpenApiUtil.getTimestamp', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  // Four-digit years only: beyond them toISOString() writes `+010000`, the official client `10000`.
  const MAX_DATE = new Date('9999-12-31T23:59:59.999Z');

  it('formats any instant the same way', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: MAX_DATE, noInvalidDate: true }),
        (d) => {
          vi.setSystemTime(d);
          expect(formatAcsDate(d)).toBe(OpenApiUtil.getTimestamp());
        },
      ),
      RUNS,
    );
  });
});

describe('sign() against the real callApi of @alicloud/openapi-client (network cut)', () => {
  class Captured extends Error {
    constructor(readonly request: OfficialRequest) {
      super('request captured, network cut');
    }
  }

  const original = {
    doAction: tea.doAction,
    getTimestamp: OpenApiUtil.getTimestamp,
    getNonce: TeaUtil.getNonce,
  };
  let pinned = { date: '', nonce: '' };

  beforeAll(() => {
    tea.doAction = async (request) => {
      throw new Captured(request);
    };
    OpenApiUtil.getTimestamp = () => pinned.date;
    TeaUtil.getNonce = () => pinned.nonce;
  });

  afterAll(() => {
    tea.doAction = original.doAction;
    OpenApiUtil.getTimestamp = original.getTimestamp;
    TeaUtil.getNonce = original.getNonce;
  });

  /** Runs `callApi` as the aicontent SDK does (ROA, JSON) and returns the request it would have sent. */
  async function capture(s: Scenario): Promise<OfficialRequest> {
    pinned = { date: s.date, nonce: s.nonce };
    const client = new OpenApi.default(
      new OpenApi.Config({
        accessKeyId: s.credentials.accessKeyId,
        accessKeySecret: s.credentials.accessKeySecret,
        securityToken: s.credentials.securityToken,
        endpoint: s.host,
      }),
    );
    const params = new OpenApi.Params({
      action: s.action,
      version: s.version,
      protocol: 'HTTPS',
      pathname: s.pathname,
      method: s.method,
      authType: 'AK',
      style: 'ROA',
      reqBodyType: 'json',
      bodyType: 'json',
    });
    const request = new OpenApi.OpenApiRequest({
      headers: s.extraHeaders,
      query: s.query,
      ...(s.bodyObject === undefined ? {} : { body: s.bodyObject }),
    });
    try {
      await client.callApi(params, request, new TeaUtilModule.RuntimeOptions({}));
    } catch (error) {
      if (error instanceof Captured) return error.request;
      throw error;
    }
    throw new Error('callApi returned without reaching the network');
  }

  it('GET and POST, with and without STS: same authorization and signed headers', async () => {
    // Keys that Object.assign would turn into a prototype change inside callApi are not query keys.
    const safeScenario = scenario({ credentials: credentials(false) }).filter(
      (s) => !Object.keys(s.query).includes('__proto__'),
    );
    await fc.assert(
      fc.asyncProperty(safeScenario, async (s) => {
        const wire = await capture(s);
        const { Authorization: authorization, ...official } = wire.headers;
        const provider = s.credentials.securityToken ? 'static_sts' : 'static_ak';
        expect(official['x-acs-credentials-provider']).toBe(provider);
        const ours = signOurs(s, { 'x-acs-credentials-provider': provider });
        expectSameSignature(ours, official, authorization ?? '');
        if (s.bodyObject !== undefined) {
          expect(wire.body?.value.toString('utf8')).toBe(JSON.stringify(s.bodyObject));
          expect(hashPayload(wire.body?.value)).toBe(official['x-acs-content-sha256']);
        }
      }),
      RUNS,
    );
  });
});
