import { describe, expect, it } from 'vitest';
import type { LocalStack } from '#local/stack.ts';
import { stackBanner } from '#local/startBanner.ts';

const stack = (httpAuthType: string) =>
  ({
    runtime: { url: 'http://127.0.0.1:9000' },
    emulator: {
      url: 'http://127.0.0.1:9100',
      accessKeyId: 'LTAI5tEMULATORFAKEKEY0',
      accessKeySecret: 'EmulatorFakeSecretNotARealKey000',
    },
    httpAuthType,
    operatorConsole: { url: 'http://127.0.0.1:9300' },
  }) as unknown as Pick<LocalStack, 'runtime' | 'emulator' | 'httpAuthType' | 'operatorConsole'>;

describe('the npm start banner', () => {
  it('says the trigger runs without auth by default, and how to check signatures', () => {
    const banner = stackBanner(stack('anonymous'));
    expect(banner).toContain('authType anonymous here');
    expect(banner).toContain('HTTP_AUTH_TYPE=function npm start checks signatures as FC does');
    expect(banner).toContain(`curl -s -X POST http://127.0.0.1:9000/jobs -d '{"inferenceJobId":"'$id'"}'`);
  });

  it('with HTTP_AUTH_TYPE=function, says so and shows signed calls with the local AccessKey', () => {
    const banner = stackBanner(stack('function'));
    expect(banner).toContain('authType function, checked as FC checks it');
    expect(banner).toContain(
      'export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tEMULATORFAKEKEY0 ALIBABA_CLOUD_ACCESS_KEY_SECRET=EmulatorFakeSecretNotARealKey000',
    );
    expect(banner).toContain('npm run call -- "http://127.0.0.1:9000/jobs/$id"');
    expect(banner).toContain('npm run call -- "http://127.0.0.1:9000/jobs?state=succeeded"');
    expect(banner).toContain(`npm run call -- POST http://127.0.0.1:9000/jobs '{"inferenceJobId":"'$id'"}'`);
    expect(banner).not.toContain('curl -s "http://127.0.0.1:9000');
  });

  it('names the operator console, and the local-only switches npm start turns on', () => {
    const banner = stackBanner(stack('anonymous'));
    expect(banner).toContain('operator console:              http://127.0.0.1:9300');
    expect(banner).toContain('NOTIFY_ALLOW_HTTP and NOTIFY_ALLOW_PRIVATE_ADDRESSES are on');
  });

  it('names the FC 3.0 API endpoint for the official SDK', () => {
    expect(stackBanner(stack('anonymous'))).toContain('endpoint 127.0.0.1:9000, http, the local AccessKey');
  });
});
