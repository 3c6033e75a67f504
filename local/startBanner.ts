/** What `npm start` prints once the stack runs: the URLs, whether the HTTP trigger checks signatures, what to paste. */
import type { LocalStack } from './stack.ts';

export function stackBanner({
  runtime,
  emulator,
  httpAuthType,
  operatorConsole,
}: Pick<LocalStack, 'runtime' | 'emulator' | 'httpAuthType' | 'operatorConsole'>): string {
  const api = runtime.url;
  const signed = httpAuthType === 'function';
  // The quotes close around $id, so that the shell puts the id in the JSON.
  const trackJson = `{"inferenceJobId":"'$id'"}`;
  const newJob = `id=$(curl -s -X POST ${emulator.url}/_emulator/jobs | node -pe 'JSON.parse(require("fs").readFileSync(0)).id')`;
  const call = signed
    ? {
        get: (path: string) => `npm run call -- "${api}${path}"`,
        post: (path: string, json: string) => `npm run call -- POST ${api}${path} '${json}'`,
      }
    : {
        get: (path: string) => `curl -s "${api}${path}"`,
        post: (path: string, json: string) => `curl -s -X POST ${api}${path} -d '${json}'`,
      };
  return [
    '',
    'aicontent-jobs is running locally',
    `  query function (HTTP trigger): ${api}/jobs/{inferenceJobId}`,
    ...authLines(httpAuthType, emulator),
    `  FC 3.0 API (official SDK, chaining code): endpoint ${new URL(api).host}, http, the local AccessKey`,
    ...(operatorConsole ? [`  operator console:              ${operatorConsole.url}`] : []),
    `  aicontent emulator:            ${emulator.url}`,
    '  sweeper:                       every 10 s (SWEEP_SCHEDULE), logs a summary per tick',
    '  on-job-done:                   logs "job done" once per finished job',
    '  local-only switches:           NOTIFY_ALLOW_HTTP and NOTIFY_ALLOW_PRIVATE_ADDRESSES are on, so webhooks',
    '                                 may go to http: and loopback receivers here (never on FC by default)',
    '',
    'Create a job in the emulator and query it through the query function:',
    `  ${newJob}; ${call.get('/jobs/$id')}`,
    'Track it, and watch the sweeper notify on-job-done when it finishes (about 10 s):',
    `  ${call.post('/jobs', trackJson)}`,
    'A job that fails, and the tracked jobs by state:',
    `  curl -s -X POST ${emulator.url}/_emulator/jobs -d '{"schedule":{"outcome":"OOM"}}'`,
    `  ${call.get('/jobs?state=succeeded')}`,
    '',
    'Stop with Ctrl-C.',
    '',
  ].join('\n');
}

function authLines(httpAuthType: string, key: { accessKeyId: string; accessKeySecret: string }): string[] {
  if (httpAuthType === 'function') {
    return [
      '    authType function, checked as FC checks it: sign requests (npm run call) with the local AccessKey:',
      `    export ALIBABA_CLOUD_ACCESS_KEY_ID=${key.accessKeyId} ALIBABA_CLOUD_ACCESS_KEY_SECRET=${key.accessKeySecret}`,
    ];
  }
  if (httpAuthType === 'jwt') {
    return ['    authType jwt: not checked here (the deployed trigger checks it)'];
  }
  return [
    '    authType anonymous here; the deployed trigger defaults to function (signed requests):',
    '    HTTP_AUTH_TYPE=function npm start checks signatures as FC does',
  ];
}
