/**
 * The example next step: the sweeper invokes this function (asynchronously) once for every tracked job
 * that ends, with `{jobId, state, status, images, attempts, firstSeenAt, finishedAt, reason,
 * idempotencyKey}`. It only logs the event. Put your own next step here: copy the images to OSS, tell
 * the user, start the next job. Deliveries are at least once: use `idempotencyKey` to skip repeats.
 * It runs without a RAM role (s.yaml, ON_JOB_DONE_ROLE), as it calls nothing: `context.credentials` is
 * empty. Give your step a role of its own, with only what it calls.
 */
import { readLogLevel } from '#shared/config.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { createFcHandler } from '#shared/fc/handler.ts';
import { isRecord } from '#shared/json.ts';
import { createLogger } from '#shared/log.ts';

const logger = createLogger({ level: readLogLevel(process.env) });

export const handler = createFcHandler(
  async (event, context) => {
    const payload = event.kind === 'invoke' ? event.payload : undefined;
    if (!isRecord(payload) || !('idempotencyKey' in payload)) {
      throw new InvalidInputError('expected a job notification from the sweeper', 'InvalidPayload');
    }
    context.log.info('job done', { notification: payload });
    return { statusCode: 200, body: { received: payload.idempotencyKey } };
  },
  { logger },
);
