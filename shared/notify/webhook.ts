/**
 * Webhook target: the notification POSTed as JSON to an HTTPS URL, signed with a shared secret.
 *
 * ```
 * POST <url>
 * content-type: application/json
 * x-aicontent-jobs-timestamp: 1764057790                  (unix seconds, when this attempt was sent)
 * x-aicontent-jobs-signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 * x-aicontent-jobs-idempotency-key: <jobId>:<state>
 * ```
 *
 * Any 2xx is delivered. Redirects are not followed (a 3xx fails for good): the signed body goes only
 * where it was addressed.
 *
 * How a receiver verifies a request (`verifyWebhookSignature` does exactly this):
 * 1. Read the raw body bytes as text, before any JSON parsing (re-serialising changes them).
 * 2. Refuse a timestamp that is not a whole number of seconds, or further than 5 minutes from now
 *    (the replay window: a captured request cannot be replayed later).
 * 3. Compute `"sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body))` and compare it with the
 *    signature header in constant time.
 * 4. Act once per `idempotencyKey`: a retry is signed afresh (new timestamp, new signature) and
 *    delivery is at least once.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';
import { AddressRefusedError, checkedPost, type PostAnswer, type Resolve } from '#shared/net/checkedPost.ts';
import type { Attempt } from './delivery.ts';
import { httpFailure, invalidTarget, NotifyError } from './notifyError.ts';
import { targetProblem } from './notifyTarget.ts';
import { IDEMPOTENCY_HEADER, type Notification } from './payload.ts';

export const TIMESTAMP_HEADER = 'x-aicontent-jobs-timestamp';
export const SIGNATURE_HEADER = 'x-aicontent-jobs-signature';
/** How far a receiver should let a timestamp be from its own clock. */
export const REPLAY_WINDOW_SECONDS = 300;

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

export interface SignedWebhook {
  /** The raw body, as received. */
  body: string;
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
  const timestamp = Number(request.timestamp);
  if (Math.abs(now / 1000 - timestamp) > windowSeconds) return false;
  const expected = Buffer.from(webhookSignature(secret, timestamp, request.body));
  const given = Buffer.from(request.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface WebhookDeps {
  /** The shared secret; webhooks are never sent unsigned. */
  secret: string | undefined;
  allowHttp: boolean;
  /** Send to any address (local runs); otherwise public unicast only, checked at send time. */
  allowPrivateAddresses: boolean;
  /** Resolves host names (default: the system resolver); every address it gives is checked. */
  resolve?: Resolve | undefined;
  /** For https: the CA to trust instead of the system's (tests). */
  ca?: string | undefined;
  now: () => number;
}

/** One signed POST; the timestamp is taken per attempt, so a retry passes the receiver's replay check. */
export async function postWebhook(
  target: Extract<NotifyTarget, { type: 'webhook' }>,
  notification: Notification,
  attempt: Attempt,
  deps: WebhookDeps,
): Promise<void> {
  const problem = targetProblem(target, {
    allowHttp: deps.allowHttp,
    allowPrivateAddresses: deps.allowPrivateAddresses,
  });
  if (problem) throw invalidTarget(target, problem);
  if (!deps.secret) {
    throw new NotifyError({
      target,
      code: 'WebhookSecretMissing',
      detail: 'webhooks are signed, and no webhook secret is configured (NOTIFY_WEBHOOK_SECRET)',
      retryable: false,
    });
  }
  const timestamp = Math.floor(deps.now() / 1000);
  let answer: PostAnswer;
  try {
    answer = await checkedPost(new URL(target.url), {
      headers: {
        'content-type': 'application/json',
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: webhookSignature(deps.secret, timestamp, notification.body),
        [IDEMPOTENCY_HEADER]: notification.payload.idempotencyKey,
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
  if (answer.status < 200 || answer.status > 299) {
    throw httpFailure(target, answer.status, {}, answer.header('retry-after'));
  }
}
