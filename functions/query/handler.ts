/**
 * The query function: `GET /jobs/{inferenceJobId}`, `POST /jobs` (track) and the operator API
 * (`GET /jobs?state=`, `DELETE /jobs/{id}`, `POST /jobs/{id}/notify`, `GET /stats`) over its HTTP
 * trigger, or the same as direct-invocation payloads (chaining); shared/query/queryApi.ts routes them.
 * Config and the job store live for the instance; credentials are read per invocation.
 */
import { createAicontentClient } from '#shared/aicontent/client.ts';
import { readQueryConfig } from '#shared/config.ts';
import { credentialsFromContext } from '#shared/fc/context.ts';
import { createFcHandler } from '#shared/fc/handler.ts';
import type { NotifyTarget } from '#shared/jobs/jobStore.ts';
import { createLogger } from '#shared/log.ts';
import { targetAllowlist } from '#shared/notify/targetAllowlist.ts';
import { replyToQuery } from '#shared/query/queryApi.ts';
import { lazyJobStore, openJobStore } from '#shared/stores/openJobStore.ts';

const config = readQueryConfig(process.env);
const logger = createLogger({ level: config.logLevel });
const store = lazyJobStore(() => openJobStore(config));
const targetRules = {
  allowHttp: config.allowHttpWebhooks,
  allowPrivateAddresses: config.allowPrivateAddresses,
  allowed: targetAllowlist(config.notifyTargetsAllowed),
  webhooksSigned: config.webhooksSigned,
};

/**
 * A caller's `notify`, checked. The checks (and the address tables they use) are loaded by the first
 * `POST /jobs`, not at cold start: a query of a job never needs them.
 */
async function parseNotify(input: unknown): Promise<NotifyTarget | null> {
  const { parseNotifyTarget } = await import('#shared/notify/notifyTarget.ts');
  return parseNotifyTarget(input, targetRules);
}

/** Leave this much of the invocation's time to reply after the last aicontent attempt. */
const REPLY_MARGIN_MS = 1_000;

export const handler = createFcHandler(
  (event, context, { signal }) =>
    replyToQuery(event, {
      client: createAicontentClient({
        endpoint: config.aicontentEndpoint,
        credentials: credentialsFromContext(context),
        retry: { maxAttempts: config.aicontentMaxAttempts },
        attemptTimeoutMs: config.aicontentTimeoutMs,
      }),
      store,
      parseNotify,
      trackOnQuery: config.trackOnQuery,
      maxTrackedJobs: config.maxTrackedJobs,
      pollHintSeconds: config.pollHintSeconds,
      deadline: context.deadline - REPLY_MARGIN_MS,
      signal,
      now: Date.now,
      log: context.log,
    }),
  { logger },
);
