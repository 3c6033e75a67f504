/**
 * Masks credentials in text that leaves a local server: error messages and log lines. A verifier's
 * error may quote what it signed (a canonical request holds `x-acs-security-token:…`), and whoever
 * reads an error reply or a log must not get a token, a signature or a secret from it.
 *
 * Masked: the values of token and authorization headers (`name:value`, as in a string to sign, or
 * `name: value`), `Signature=…`, fc2's `FC <AccessKeyId>:<signature>`, and the values of
 * `accessKeySecret` / `securityToken` fields (JSON, `key=value`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET=`). A token
 * keeps its first four characters (enough to tell an emulator's `CAIS` token from another); anything
 * else is masked whole. AccessKey ids are not secret and stay.
 */
const VALUE = String.raw`[^\s\\",;&]+`;

const MASKED: readonly [RegExp, (value: string) => string][] = [
  [new RegExp(String.raw`((?:x-acs-|x-fc-)?security-token\s*:\s*)(${VALUE})`, 'gi'), maskKeepingPrefix],
  [/((?:x-acs-bearer-token|authorization)\s*:\s*)([^\n\\"]+)/gi, () => '****'],
  [new RegExp(`(Signature=)(${VALUE})`, 'g'), () => '****'],
  [new RegExp(String.raw`(\bFC [^:\s"]+:)(${VALUE})`, 'g'), () => '****'],
  [new RegExp(String.raw`("?security_?token"?\s*[:=]\s*"?)(${VALUE})`, 'gi'), maskKeepingPrefix],
  [new RegExp(String.raw`("?access_?key_?secret"?\s*[:=]\s*"?)(${VALUE})`, 'gi'), () => '****'],
];

export function maskSecrets(text: string): string {
  let masked = text;
  for (const [pattern, mask] of MASKED) {
    masked = masked.replace(pattern, (_, name: string, value: string) => `${name}${mask(value)}`);
  }
  return masked;
}

function maskKeepingPrefix(value: string): string {
  return value.length >= 16 ? `${value.slice(0, 4)}****` : '****';
}
