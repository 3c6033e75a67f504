/** What the emulator CLI prints at start: where it listens, which keys it accepts, how to try it. */
import type { KeySource } from './args.ts';

export interface BannerFacts {
  url: string;
  accessKeyId: string;
  accessKeySecret: string;
  keySource: KeySource;
  demoJobId: string;
}

/** A secret the user brought is never printed; the built-in fake one is, so the commands paste as is. */
export function startupBanner(facts: BannerFacts): string {
  const { url, accessKeyId, demoJobId } = facts;
  const keys = {
    'built-in': {
      shown: `${accessKeyId} / ${facts.accessKeySecret} (built-in fake pair)`,
      env: `ALIBABA_CLOUD_ACCESS_KEY_ID=${accessKeyId} ALIBABA_CLOUD_ACCESS_KEY_SECRET=${facts.accessKeySecret} `,
    },
    flags: {
      shown: `${accessKeyId} / (the --access-key-secret given)`,
      env: `ALIBABA_CLOUD_ACCESS_KEY_ID=${accessKeyId} ALIBABA_CLOUD_ACCESS_KEY_SECRET=<your secret> `,
    },
    // Already in the environment: the commands need not repeat them.
    environment: { shown: `${accessKeyId} / (from ALIBABA_CLOUD_ACCESS_KEY_SECRET)`, env: '' },
  }[facts.keySource];
  return [
    `aicontent emulator listening on ${url}`,
    `  accepted AccessKey: ${keys.shown}`,
    `  demo job: ${demoJobId} (WAIT_SCHEDULE, then INFERRING, then FINISHED about 10 s after start)`,
    '',
    'Query the demo job:',
    `  AICONTENT_ENDPOINT=${url} ${keys.env}npm run query -- ${demoJobId}`,
    'Create a job, look at one, get STS credentials:',
    `  curl -X POST ${url}/_emulator/jobs -d '{"schedule":{"outcome":"OOM"}}'`,
    `  curl ${url}/_emulator/jobs/${encodeURIComponent(demoJobId)}`,
    `  curl -X POST ${url}/_emulator/sts -d '{"ttlSeconds":900}'`,
    '',
    'Stop with Ctrl-C.',
  ].join('\n');
}
