import { describe, expect, it } from 'vitest';
import { maskSecrets } from '#local/emulator/masking.ts';
import { runtimeLogger } from '#local/runtime/runtimeLog.ts';

const TOKEN = 'CAISEMU.eyJhayI6IlNUUy5FTVUxMjMifQ.c2lnbmF0dXJl';

describe('maskSecrets', () => {
  it('masks a security token in a string to sign, as text or JSON-quoted, keeping its first four characters', () => {
    const canonical = `POST\n/x\n\nhost:h\nx-acs-security-token:${TOKEN}\nx-acs-version:1\n`;
    expect(maskSecrets(canonical)).toBe(
      'POST\n/x\n\nhost:h\nx-acs-security-token:CAIS****\nx-acs-version:1\n',
    );
    const quoted = `Our canonical request is ${JSON.stringify(canonical)}.`;
    expect(maskSecrets(quoted)).not.toContain(TOKEN);
    expect(maskSecrets(quoted)).toContain('x-acs-security-token:CAIS****\\nx-acs-version:1');
    expect(maskSecrets(`x-fc-security-token: ${TOKEN}`)).toBe('x-fc-security-token: CAIS****');
  });

  it('masks signatures, authorization values, secrets and token fields', () => {
    const cases: [string, string][] = [
      ['ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host,Signature=0123abcd', 'Signature=****'],
      ['authorization: FC STS.AK:c2lnbmF0dXJl', 'authorization: ****'],
      ['Authorization "FC LTAI5t:c2lnbmF0dXJl" is wrong', 'FC LTAI5t:****'],
      [`{"accessKeySecret":"EmulatorFakeSecretNotARealKey000"}`, '"accessKeySecret":"****"'],
      [`{"securityToken":"${TOKEN}"}`, '"securityToken":"CAIS****"'],
      ['ALIBABA_CLOUD_ACCESS_KEY_SECRET=abcdefghijklmnop', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET=****'],
      [
        '/?Action=X&SecurityToken=CAISabcdefghijklmnop&Signature=abc',
        'SecurityToken=CAIS****&Signature=****',
      ],
    ];
    for (const [text, masked] of cases) expect(maskSecrets(text)).toContain(masked);
    expect(maskSecrets('AccessKey LTAI5tEMULATORFAKEKEY0 is not known here.')).toBe(
      'AccessKey LTAI5tEMULATORFAKEKEY0 is not known here.',
    );
  });
});

describe("the local runtime's log lines", () => {
  it('are JSON lines with time, level, msg, and never hold a token', () => {
    const lines: string[] = [];
    runtimeLogger((line) => lines.push(line)).warn('invocation failed', {
      failure: `refused: x-acs-security-token:${TOKEN}`,
    });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      level: 'warn',
      msg: 'invocation failed',
      component: 'fc-runtime',
      failure: 'refused: x-acs-security-token:CAIS****',
    });
  });
});
