/**
 * Signatures per second: our ACS3 signer against the official `@alicloud/openapi-util` one, in one run.
 *
 *   npm run bench:signing
 *
 * The request is the one our client sends most: GET PersonalizedTextToImageQueryPreModelInferenceJobInfo
 * with one `inferenceJobId` and STS credentials. Both sides get the date and a nonce (from the same pool
 * of 1024) as inputs, so neither pays for the clock or the random generator.
 *
 * - `signing.ours`: `sign()`, i.e. everything our client does to sign (payload hash, protocol headers,
 *   canonical request, HMAC, authorization header).
 * - `signing.official`: `OpenApiUtil.getAuthorization()` alone over a ready-made header map (one per nonce,
 *   built before timing) and a precomputed payload hash: the official signer's bare minimum.
 * - `signing.official.doRequest`: what `openapi-client` 0.4.15 `doRequest` does per request to sign, minus
 *   the clock, the nonce and `await credential.getCredential()`: build the header map (`Object.assign`,
 *   `Util.getUserAgent`), hash the empty payload, add the STS headers, then `getAuthorization()`.
 *
 * `signing.ratio` is ours over `signing.official` (the conservative one); the goal is at least 2×.
 * Each candidate runs 1 s of warm-up, then ROUNDS rounds of ROUND_MS each, interleaved; the median counts.
 */

import { usageIfAsked } from '#local/cli/cliSupport.ts';
import { type Credentials, formatAcsDate, type SignableRequest, sign } from '#shared/signing/acs3.ts';
import { type OfficialRequest, OpenApiUtil, TeaUtil } from '#test/helpers/officialClient.ts';

usageIfAsked(`usage: npm run bench:signing

Signatures per second: our ACS3 signer against the official client's (bench/README.md).
  BENCH_ROUNDS    rounds per candidate (default 5)
  BENCH_ROUND_MS  length of a round (default 1000)`);

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1000);
const WARMUP_MS = 1000;
const BATCH = 256;

const ALGORITHM = 'ACS3-HMAC-SHA256';
const HOST = 'aicontent.cn-shanghai.aliyuncs.com';
const ACTION = 'PersonalizedTextToImageQueryPreModelInferenceJobInfo';
const VERSION = '20240611';
const JOB_ID = '7f3c2a1e-5b9d-4c8e-a1f2-0d9e8b7c6a54';
const DATE = formatAcsDate(new Date('2025-03-14T09:26:53.123Z'));
const credentials: Credentials = {
  accessKeyId: 'STS.NUgYrLnoC37mZZCNnAbez2Mx5',
  accessKeySecret: '9xYqVxK3C4bQw1nZ8mT7pLr2sUe6GhJd5FaW0oKiBcD',
  securityToken: `CAIS${'0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/'.repeat(12)}==`,
};
const nonces = Array.from({ length: 1024 }, (_, i) => i.toString(16).padStart(32, '0'));
const NONCE_MASK = nonces.length - 1;

/** Exactly what our client (shared/aicontent/client.ts) passes to `sign()`. */
const ourRequest: SignableRequest = {
  method: 'GET',
  pathname: '/',
  query: { inferenceJobId: JOB_ID },
  headers: { host: HOST, 'x-acs-action': ACTION, 'x-acs-version': VERSION },
};

/** The headers `doRequest` signs for that request (without its `x-acs-credentials-provider` telemetry). */
function officialHeaders(nonce: string, payloadHash: string): Record<string, string> {
  const headers: Record<string, string> = Object.assign(
    {
      host: HOST,
      'x-acs-version': VERSION,
      'x-acs-action': ACTION,
      'user-agent': TeaUtil.getUserAgent(undefined),
      'x-acs-date': DATE,
      'x-acs-signature-nonce': nonce,
      accept: 'application/json',
    },
    {},
    {},
    {},
  );
  headers['x-acs-content-sha256'] = payloadHash;
  if (credentials.securityToken) {
    headers['x-acs-accesskey-id'] = credentials.accessKeyId;
    headers['x-acs-security-token'] = credentials.securityToken;
  }
  return headers;
}

const emptyHash = OpenApiUtil.hexEncode(OpenApiUtil.hash(TeaUtil.toBytes(''), ALGORITHM));
const prebuilt: OfficialRequest[] = nonces.map((nonce) => ({
  method: 'GET',
  pathname: '/',
  query: { inferenceJobId: JOB_ID },
  headers: officialHeaders(nonce, emptyHash),
}));

let sink = 0;

type Candidate = { name: string; run: (i: number) => string };

const candidates: Candidate[] = [
  {
    name: 'ours',
    run: (i) =>
      sign(ourRequest, credentials, { date: DATE, nonce: nonces[i & NONCE_MASK] as string }).authorization ??
      '',
  },
  {
    name: 'official',
    run: (i) =>
      OpenApiUtil.getAuthorization(
        prebuilt[i & NONCE_MASK] as OfficialRequest,
        ALGORITHM,
        emptyHash,
        credentials.accessKeyId,
        credentials.accessKeySecret,
      ),
  },
  {
    name: 'official.doRequest',
    run: (i) => {
      const payloadHash = OpenApiUtil.hexEncode(OpenApiUtil.hash(TeaUtil.toBytes(''), ALGORITHM));
      const request: OfficialRequest = {
        method: 'GET',
        pathname: '/',
        query: Object.assign({}, {}, {}, { inferenceJobId: JOB_ID }),
        headers: officialHeaders(nonces[i & NONCE_MASK] as string, payloadHash),
      };
      const authorization = OpenApiUtil.getAuthorization(
        request,
        ALGORITHM,
        payloadHash,
        credentials.accessKeyId,
        credentials.accessKeySecret,
      );
      request.headers.Authorization = authorization;
      return authorization;
    },
  },
];

/** Calls `run` in batches for `ms` milliseconds; returns operations per second. */
function measure(candidate: Candidate, ms: number): number {
  let ops = 0;
  const start = performance.now();
  const end = start + ms;
  let now = start;
  while (now < end) {
    for (let i = 0; i < BATCH; i++) sink += candidate.run(ops + i).length;
    ops += BATCH;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

// Same input, same signature: otherwise the comparison is meaningless.
for (let i = 0; i < 4; i++) {
  const expected = candidates[0]?.run(i);
  for (const candidate of candidates) {
    if (candidate.run(i) !== expected) throw new Error(`signing.${candidate.name} disagrees with ours`);
  }
}

for (const candidate of candidates) measure(candidate, WARMUP_MS);
const samples = new Map<string, number[]>(candidates.map((c) => [c.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const candidate of candidates) samples.get(candidate.name)?.push(measure(candidate, ROUND_MS));
}

const results = new Map(candidates.map((c) => [c.name, median(samples.get(c.name) ?? [])]));
const width = Math.max(...candidates.map((c) => c.name.length));
console.log(
  `# node ${process.version}, ${ROUNDS} rounds x ${ROUND_MS} ms after ${WARMUP_MS} ms warm-up, median`,
);
for (const [name, opsPerSecond] of results) {
  const rounds = (samples.get(name) ?? []).map((v) => Math.round(v)).join(' ');
  const line = `signing.${name}: ${Math.round(opsPerSecond)} ops/s on this machine`;
  console.log(`${line.padEnd(width + 44)}# rounds: ${rounds}`);
}
const ours = results.get('ours') ?? 0;
const official = results.get('official') ?? 1;
const officialDoRequest = results.get('official.doRequest') ?? 1;
console.log(
  `signing.ratio: ${(ours / official).toFixed(2)} x the official getAuthorization ` +
    `(goal ≥ 2.00 x: ${ours / official >= 2 ? 'met' : 'NOT met'})`,
);
console.log(
  `signing.ratio.doRequest: ${(ours / officialDoRequest).toFixed(2)} x the official doRequest signing`,
);
if (sink === 0) console.log('unreachable');
