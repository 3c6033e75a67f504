/**
 * Webhook target: the notification POSTed as JSON to an HTTPS URL, signed with a shared secret, the
 * signature bound to the URL it was sent to.
 *
 * ```
 * POST <url>
 * content-type: application/json
 * x-aicontent-jobs-timestamp: 1764057790          (Unix seconds, when this attempt was sent)
 * x-aicontent-jobs-signature: v2=<64 lower-case hex digits>
 * x-aicontent-jobs-idempotency-key: <jobId>:<state>
 * ```
 *
 * Signature scheme v2: the hex of HMAC-SHA256, keyed with the secret's UTF-8 bytes, over the bytes
 *
 * ```
 * "v2" LF <timestamp> LF <url> LF <raw body>
 * ```
 *
 * (LF a single byte 0x0A; `<timestamp>` the header's digits; `<url>` the URL the request was sent to,
 * in its canonical form, `canonicalWebhookUrl`; the body as sent, byte for byte). No field before the
 * body can hold an LF, so the fields cannot be shifted into one another. Binding the URL means a
 * request signed for one receiver does not verify at another that shares the secret (the deployment's
 * own `NOTIFY_URL` receiver, say, with a body signed for a caller's URL). The header may in time carry
 * several comma-separated `<scheme>=<hex>` entries (a new scheme, a rotated secret): a receiver accepts
 * the request when one `v2=` entry matches and ignores schemes it does not know.
 *
 * Any 2xx is delivered. Redirects are not followed (a 3xx fails for good): the signed body goes only
 * where it was addressed.
 *
 * How a receiver verifies a request (`verifyWebhookSignature` does exactly this):
 * 1. Read the raw body bytes, before any JSON parsing (re-serialising changes them).
 * 2. Refuse a timestamp that is not a whole number of seconds, or further than 5 minutes from now
 *    (the replay window: a captured request cannot be replayed later).
 * 3. Compute the v2 HMAC above with the URL the receiver is reached at (as registered with `POST /jobs`
 *    or set as `NOTIFY_URL`, canonical), and compare it with each `v2=` entry in constant time.
 * 4. Act once per `idempotencyKey`: a retry is signed afresh (new timestamp, new signature) and
 *    delivery is at least once.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  AddressRefusedError,
  checkedPost,
  type PostResponse,
  type Resolve,
} from '#shared/net/checkedPost.ts';
import type { Sender } from './delivery.ts';
import { httpFailure, NotifyError } from './notifyError.ts';
import { canonicalWebhookUrl } from './notifyTarget.ts';
import { IDEMPOTENCY_HEADER } from './payload.ts';

export const TIMESTAMP_HEADER = 'x-aicontent-jobs-timestamp';
export const SIGNATURE_HEADER = 'x-aicontent-jobs-signature';
/** How far a receiver should let a timestamp be from its own clock. */
export const REPLAY_WINDOW_SECONDS = 300;
const SCHEME = 'v2';

/** `v2=<hex HMAC-SHA256(secret, "v2\n<timestamp>\n<url>\n<body>")>`, `url` in canonical form. */
export function webhookSignature(
  secret: string,
  timestamp: number | string,
  url: string,
  body: string | Uint8Array,
): string {
  const hmac = createHmac('sha256', secret).update(
    `${SCHEME}\n${timestamp}\n${canonicalWebhookUrl(url)}\n`,
    'utf8',
  );
  return `${SCHEME}=${hmac.update(body).digest('hex')}`;
}

export interface SignedWebhook {
  /** The URL the receiver is reached at: the one the sender was given for it. */
  url: string;
  /** The raw body, as received (a string is taken as its UTF-8 bytes). */
  body: string | Uint8Array;
  /** The `x-aicontent-jobs-timestamp` header. */
  timestamp: string | undefined;
  /** The `x-aicontent-jobs-signature` header. */
  signature: string | undefined;
}

/** The receiver's check (steps 1–3 above). `now` is epoch ms. */
export function verifyWebhookSignature(
  secret: string,
  request: SignedWebhook,
  now = Date.now(),
  windowSeconds = REPLAY_WINDOW_SECONDS,
): boolean {
  if (!request.timestamp || !/^\d{1,12}$/.test(request.timestamp) || request.signature === undefined) {
    return false;
  }
  if (Math.abs(now / 1000 - Number(request.timestamp)) > windowSeconds) return false;
  if (!URL.canParse(request.url)) return false;
  const expected = Buffer.from(webhookSignature(secret, request.timestamp, request.url, request.body));
  // Every entry is compared, a match or not, so the time taken does not tell which one matched.
  let matched = false;
  for (const entry of request.signature.split(',')) {
    const given = Buffer.from(entry.trim());
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}

export interface WebhookDeps {
  /** The shared secret; webhooks are never sent unsigned. */
  secret: string | undefined;
  /** Send to any address (local runs); otherwise public unicast only, checked at send time. */
  allowPrivateAddresses: boolean;
  /** Resolves host names (default: the system resolver); every address it gives is checked. */
  resolve?: Resolve | undefined;
  /** For https: the CA to trust instead of the system's (tests). */
  ca?: string | undefined;
  now: () => number;
}

/** One signed POST; the timestamp is taken per attempt, so a retry passes the receiver's replay check. */
export const postWebhook: Sender<'webhook', WebhookDeps> = async (target, notification, attempt, deps) => {
  if (!deps.secret) {
    throw new NotifyError({
      target,
      code: 'WebhookSecretMissing',
      detail: 'webhooks are signed, and no webhook secret is configured (NOTIFY_WEBHOOK_SECRET)',
      retryable: false,
      summary: 'WebhookSecretMissing: this deployment cannot sign webhooks (no NOTIFY_WEBHOOK_SECRET)',
    });
  }
  const timestamp = Math.floor(deps.now() / 1000);
  const url = canonicalWebhookUrl(target.url);
  let response: PostResponse;
  try {
    response = await checkedPost(new URL(url), {
      headers: {
        'content-type': 'application/json',
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: webhookSignature(deps.secret, timestamp, url, notification.body),
        [IDEMPOTENCY_HEADER]: notification.idempotencyHeader,
      },
      body: notification.body,
      signal: attempt.signal,
      allowPrivateAddresses: deps.allowPrivateAddresses,
      resolve: deps.resolve,
      ca: deps.ca,
    });
  } catch (error) {
    if (!(error instanceof AddressRefusedError)) throw error;
    throw new NotifyError({
      target,
      code: 'AddressNotAllowed',
      detail: `${error.message}: webhooks go to public addresses only (NOTIFY_ALLOW_PRIVATE_ADDRESSES)`,
      retryable: false,
      cause: error,
    });
  }
  // A redirect is not followed (a 3xx fails for good): the signed body goes only where it was addressed.
  if (response.status < 200 || response.status > 299) {
    throw httpFailure(target, response.status, {}, response.header('retry-after'));
  }
};
