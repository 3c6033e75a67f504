/**
 * The query function: `GET /jobs/{inferenceJobId}` over its HTTP trigger, or `{"inferenceJobId"}` by
 * direct invocation. Config is read once per instance; credentials are read per invocation.
 */
import { createAicontentClient } from '#shared/aicontent/client.ts';
import { readQueryConfig } from '#shared/config.ts';
import { credentialsFromContext } from '#shared/fc/context.ts';
import { createFcHandler } from '#shared/fc/handler.ts';
import { createLogger } from '#shared/log.ts';
import { answerQuery } from '#shared/query/queryApi.ts';

const config = readQueryConfig(process.env);
const logger = createLogger({ level: config.logLevel });

/** Leave this much of the invocation's time to answer after the last aicontent attempt. */
const ANSWER_MARGIN_MS = 1_000;

export const handler = createFcHandler(
  (event, context, { signal }) =>
    answerQuery(event, {
      client: createAicontentClient({
        endpoint: config.aicontentEndpoint,
        credentials: credentialsFromContext(context),
        retry: { maxAttempts: config.aicontentMaxAttempts },
        attemptTimeoutMs: config.aicontentTimeoutMs,
      }),
      pollHintSeconds: config.pollHintSeconds,
      deadline: context.deadline - ANSWER_MARGIN_MS,
      signal,
    }),
  { logger },
);
