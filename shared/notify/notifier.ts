/**
 * The notifier: tells a job's target that the job ended (succeeded, failed or gave up).
 *
 * The target is the job's own (`POST /jobs` `notify`), else the deployment's default (`NOTIFY_FUNCTION`
 * / `NOTIFY_URL`), else nobody. Each kind sends the same JSON payload (payload.ts): an FC 3.0 function
 * through an asynchronous InvokeFunction (fcInvoke.ts), an FC 2.0 function through `@alicloud/fc2`
 * (fc2Invoke.ts), a webhook as a signed POST (webhook.ts). Every kind is tried once, bounded in time, and
 * its failure told alike (delivery.ts).
 *
 * The notifier keeps no state: when `notify` throws, the sweeper records the `NotifyError` on the job
 * and tries again on a later sweep (unless the error is `final`). A call makes one try of at most
 * `NOTIFY_ATTEMPT_TIMEOUT_MS`: a target that never responds holds the sweep's notification lane for that
 * long, once per sweep, and the sweeper's own backoff (NOTIFY_RETRY_SECONDS) spaces the tries.
 */
import { randomUUID } from 'node:crypto';
import type { CredentialsProvider } from '#shared/credentials.ts';
import { ConfigError } from '#shared/errors.ts';
import type { NotifyTarget, TrackedJob } from '#shared/jobs/jobStore.ts';
import type { Notifier } from '#shared/jobs/sweep.ts';
import type { Resolve } from '#shared/net/checkedPost.ts';
import { type Attempt, deliver } from './delivery.ts';
import { type Fc2ClientFactory, fc2Client, invokeFc2 } from './fc2Invoke.ts';
import { fcEndpoint, invokeFunction } from './fcInvoke.ts';
import { invalidTarget, NotifyError } from './notifyError.ts';
import { perJobRules, targetProblem } from './notifyTarget.ts';
import { buildNotification, type Notification } from './payload.ts';
import type { TargetAllowlist } from './targetAllowlist.ts';
import { postWebhook } from './webhook.ts';

/** Longest wait for one try: an asynchronous invocation or a webhook's 2xx should take far less. */
export const NOTIFY_ATTEMPT_TIMEOUT_MS = 5_000;

/** A shorter shared secret could be guessed from signed requests. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

export interface NotifierOptions {
  /** The FC account and region (the invocation's `context.accountId` and `context.region`). */
  accountId: string;
  region: string;
  /** Invoke functions through the VPC-internal endpoint (the default); false for the public one. */
  internal?: boolean | undefined;
  /** An explicit FC endpoint (`NOTIFY_FC_ENDPOINT`), e.g. `http://127.0.0.1:9000` for the local runtime. */
  fcEndpoint?: string | undefined;
  /** Signs FC invocations: the invocation's STS credentials, asked for on every attempt. */
  credentials: CredentialsProvider;
  /** The deployment's target, from `defaultNotifyTarget`; used for jobs without their own. */
  defaultTarget?: NotifyTarget | null | undefined;
  /** Signs webhooks; webhook targets fail without it. At least 16 characters. */
  webhookSecret?: string | undefined;
  /** Let webhooks use `http:` (the local runtime and tests, on loopback). */
  allowHttpWebhooks?: boolean | undefined;
  /** Let webhooks go to addresses that are not public unicast (`NOTIFY_ALLOW_PRIVATE_ADDRESSES`, local runs). */
  allowPrivateAddresses?: boolean | undefined;
  /** Resolves webhook host names; default the system resolver. */
  resolve?: Resolve | undefined;
  /** For https webhooks: the CA to trust instead of the system's (tests). */
  webhookCa?: string | undefined;
  /** The per-job targets allowed (`NOTIFY_TARGETS_ALLOWED`); none when absent. The default always is. */
  allowedTargets?: TargetAllowlist | undefined;
  /** Longest wait for the one try (default `NOTIFY_ATTEMPT_TIMEOUT_MS`); the caller's deadline can cut it shorter. */
  attemptTimeoutMs?: number | undefined;
  fetch?: typeof fetch;
  now?: () => number;
  nonce?: () => string;
  /** Builds the `@alicloud/fc2` client; tests inject a fake. */
  fc2ClientFactory?: Fc2ClientFactory;
}

function checkWebhookSecret(options: NotifierOptions): string | undefined {
  const secret = options.webhookSecret || undefined;
  if (secret !== undefined && secret.length < MIN_WEBHOOK_SECRET_LENGTH) {
    throw new ConfigError(`the webhook secret must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters long`);
  }
  if (options.defaultTarget?.type === 'webhook' && secret === undefined) {
    throw new ConfigError(
      'NOTIFY_URL needs a webhook secret (NOTIFY_WEBHOOK_SECRET): webhooks are always signed',
    );
  }
  return secret;
}

/**
 * The sweep's `Notifier`. `notify` resolves once the target accepted the news (at least once: see the
 * payload's `idempotencyKey`), and at once if there is no target; it throws `NotifyError`, whose `final`
 * says no later try can succeed. No try starts or runs past `deadline` (epoch ms).
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const allowHttp = options.allowHttpWebhooks ?? false;
  const allowPrivateAddresses = options.allowPrivateAddresses ?? false;
  const defaultTarget = options.defaultTarget ?? null;
  const problem = defaultTarget && targetProblem(defaultTarget, { allowHttp, allowPrivateAddresses });
  if (problem) throw new ConfigError(`the default notify target is not usable: ${problem}`);
  const secret = checkWebhookSecret(options);
  const jobRules = perJobRules({ allowHttp, allowPrivateAddresses, allowed: options.allowedTargets });
  const internal = options.internal ?? true;
  const { accountId, region } = options;
  const endpoint = fcEndpoint({ accountId, region, internal, endpoint: options.fcEndpoint });
  const attemptTimeoutMs = options.attemptTimeoutMs ?? NOTIFY_ATTEMPT_TIMEOUT_MS;
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const nonce = options.nonce ?? randomUUID;
  const credentials = options.credentials;

  /**
   * Sends by the target's kind. Every target was checked before it got here (`targetProblem`): the
   * default one when the notifier was made, a job's own in `notify`, against the allowlist too.
   */
  function send(target: NotifyTarget, notification: Notification, attempt: Attempt): Promise<void> {
    switch (target.type) {
      case 'function':
        return invokeFunction(target, notification, attempt, {
          endpoint,
          credentials,
          fetch: doFetch,
          now,
          nonce,
        });
      case 'fc2':
        return invokeFc2(target, notification, attempt, {
          accountId,
          region,
          internal,
          // Only an explicit endpoint is passed on: fc2 computes FC's own host the same way.
          endpoint: options.fcEndpoint ? endpoint : undefined,
          credentials,
          createClient: options.fc2ClientFactory ?? fc2Client,
        });
      case 'webhook':
        return postWebhook(target, notification, attempt, {
          secret,
          allowPrivateAddresses,
          resolve: options.resolve,
          ca: options.webhookCa,
          now,
        });
    }
  }

  function targetFor(job: TrackedJob): NotifyTarget | null {
    return job.notify ?? defaultTarget;
  }

  async function notify(job: TrackedJob, call: Parameters<Notifier['notify']>[1] = {}): Promise<void> {
    const target = targetFor(job);
    if (!target) return;
    // A per-job target the allowlist no longer takes (changed since the job was tracked) is not sent to:
    // the notification ends failed (the error is final), to be sent again once an operator mends it.
    const refused = job.notify && targetProblem(job.notify, jobRules);
    if (refused) throw invalidTarget(target, refused);
    const notification = buildNotification(job);
    try {
      await deliver(target, (attempt) => send(target, notification, attempt), {
        attemptTimeoutMs,
        deadline: call.deadline,
        signal: call.signal,
        now,
      });
    } catch (error) {
      // A caller's own webhook: how it failed is for the log, not for the job's lastError (notifyError.ts).
      throw job.notify?.type === 'webhook' && error instanceof NotifyError ? error.conceal() : error;
    }
  }

  return { targetFor, notify };
}
