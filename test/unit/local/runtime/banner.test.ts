import { afterAll, beforeAll, expect, it } from 'vitest';
import { startupBanner } from '#local/runtime/banner.ts';
import { type FixtureRuntime, startFixtureRuntime } from '#test/helpers/localRuntime.ts';

let fixture: FixtureRuntime;
beforeAll(async () => {
  fixture = await startFixtureRuntime();
});
afterAll(() => fixture.runtime.close());

it('lists each function with its trigger and invoke URLs', () => {
  const { url } = fixture.runtime;
  const banner = startupBanner(fixture.runtime, { mode: 'bundle', credentials: 'made-up STS' });
  expect(banner).toContain(`local FC runtime listening on ${url} (bundle mode; credentials: made-up STS)`);
  expect(banner).toContain(
    `fixture-echo (resource echo, index.handler, 256 MB, timeout 5 s)\n` +
      `  HTTP trigger http [GET, POST, PUT] (authType anonymous): ${url}/ and ${url}/http/fixture-echo/\n` +
      `  invoke: POST ${url}/invoke/fixture-echo`,
  );
  expect(banner).toContain(
    '  timer trigger every-5m: 0 */5 * * * * UTC\n  timer trigger paused: @every 1h UTC (disabled)',
  );
  expect(banner).toContain(`POST ${url}/2023-03-30/functions/<functionName>/invocations`);
  expect(banner).toContain(`POST ${url}/2016-08-15/services/<any>/functions/<functionName>/invocations`);
  expect(banner).toContain(
    'take the local AccessKey\n  (LTAI5tEMULATORFAKEKEY0 / EmulatorFakeSecretNotARealKey000)',
  );
});
