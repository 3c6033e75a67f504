import { describe, expect, it } from 'vitest';
import { runtimeLogger } from '#local/runtime/runtimeLog.ts';
import { maskSecrets } from '#shared/log.ts';

const TOKEN = 'CAISEMU.eyJhayI6IlNUUy5FTVUxMjMifQ.c2lnbmF0dXJl';

describe('maskSecrets on what the emulator and the local runtime write', () => {
  it('masks a security token in a string to sign, as text or JSON-quoted', () => {
    const canonical = `POST\n/x\n\nhost:h\nx-acs-security-token:${TOKEN}\nx-acs-version:1\n`;
    expect(maskSecrets(canonical)).toBe(
      'POST\n/x\n\nhost:h\nx-acs-security-token:[redacted]\nx-acs-version:1\n',
    );
    const quoted = `Our canonical request is ${JSON.stringify(canonical)}.`;
    expect(maskSecrets(quoted)).not.toContain(TOKEN);
    expect(maskSecrets(quoted)).toContain('x-acs-security-token:[redacted]\\nx-acs-version:1');
    expect(maskSecrets(`x-fc-security-token: ${TOKEN}`)).toBe('x-fc-security-token: [redacted]');
  });

  it('masks signatures, authorization values, secrets and token fields', () => {
    const cases: [string, string][] = [
      ['ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host,Signature=0123abcd', 'Signature=[redacted]'],
      ['authorization: FC STS.AK:c2lnbmF0dXJl', 'authorization: [redacted]'],
      ['Authorization "FC LTAI5t:c2lnbmF0dXJl" is wrong', 'FC LTAI5t:[redacted]'],
      [`{"accessKeySecret":"EmulatorFakeSecretNotARealKey000"}`, '"accessKeySecret":"[redacted]"'],
      [`{"securityToken":"${TOKEN}"}`, '"securityToken":"[redacted]"'],
      ['ALIBABA_CLOUD_ACCESS_KEY_SECRET=abcdefghijklmnop', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET=[redacted]'],
      [
        '/?Action=X&SecurityToken=CAISabcdefghijklmnop&Signature=abc',
        'SecurityToken=[redacted]&Signature=[redacted]',
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
      failure: 'refused: x-acs-security-token:[redacted]',
    });
  });
});
