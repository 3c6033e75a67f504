/**
 * The sweeper: on every timer tick (or a direct invocation, for a sweep on demand) it polls the tracked
 * jobs that are due, records what it learns, and notifies when a job ends. Returns the sweep summary.
 * Timer ticks overlap across instances: the store's leases keep them from doing the same job twice.
 */
import { createAicontentClient } from '#shared/aicontent/client.ts';
import { readSweeperConfig } from '#shared/config.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { credentialsFromContext } from '#shared/fc/context.ts';
import { createFcHandler } from '#shared/fc/handler.ts';
import { sweep } from '#shared/jobs/sweep.ts';
import { createLogger } from '#shared/log.ts';
import { createNotifier } from '#shared/notify/notifier.ts';
import { defaultNotifyTarget } from '#shared/notify/notifyTarget.ts';
import { targetAllowlist } from '#shared/notify/targetAllowlist.ts';
import { lazyJobStore, openJobStore } from '#shared/stores/openJobStore.ts';

const config = readSweeperConfig(process.env);
const defaultTarget = defaultNotifyTarget(config.defaultTarget, {
  allowHttp: config.allowHttpWebhooks,
  allowPrivateAddresses: config.allowPrivateAddresses,
});
const allowedTargets = targetAllowlist(config.notifyTargetsAllowed);
const logger = createLogger({ level: config.logLevel });
const store = lazyJobStore(() => openJobStore(config));

export const handler = createFcHandler(
  async (event, context, { signal }) => {
    if (event.kind === 'http') throw new InvalidInputError('the sweeper has no HTTP trigger', 'InvalidEvent');
    const credentials = credentialsFromContext(context);
    const client = createAicontentClient({
      endpoint: config.aicontentEndpoint,
      credentials,
      retry: { maxAttempts: config.aicontentMaxAttempts },
      attemptTimeoutMs: config.aicontentTimeoutMs,
      // A job is never rescheduled further away than this, whatever aicontent asks for.
      maxRetryAfterMs: config.policy.maxPollIntervalMs,
    });
    const notifier = createNotifier({
      accountId: context.accountId,
      region: context.region,
      internal: config.fcInternal,
      fcEndpoint: config.fcEndpoint,
      credentials,
      defaultTarget,
      webhookSecret: config.webhookSecret,
      allowHttpWebhooks: config.allowHttpWebhooks,
      allowPrivateAddresses: config.allowPrivateAddresses,
      allowedTargets,
    });
    const deps = {
      store: await store(),
      query: client.queryJob,
      notifier,
      log: context.log,
      owner: context.requestId,
    };
    const summary = await sweep(deps, config.policy, { deadline: context.deadline, signal });
    return { statusCode: 200, body: summary };
  },
  { logger },
);
