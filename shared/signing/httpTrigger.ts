/**
 * Signs a request to an FC 3.0 HTTP trigger with `authType: function`, the way FC documents it
 * (https://www.alibabacloud.com/help/en/functioncompute/fc/user-guide/configure-signature-authentication-for-http-triggers):
 * ACS3-HMAC-SHA256 over the method, the URL's path (`$` as `%24`), its decoded query, and exactly two
 * headers, `x-acs-date` and `x-acs-security-token` (the STS token, or empty for a permanent AccessKey,
 * as FC's own examples send it); the canonical request's payload line is empty, so the body is not
 * signed. Pure: the date is an input. Built from the steps of our ACS3 signer (`acs3.ts`).
 */
import {
  authorizationHeader,
  type Credentials,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  formatAcsDate,
  SigningError,
  signature,
  singleValuedQuery,
  stringToSign,
} from './acs3.ts';

/** The headers to send with the request (besides its own): `x-acs-date`, `x-acs-security-token`, `authorization`. */
export function signHttpTriggerRequest(
  method: string,
  url: URL,
  credentials: Credentials,
  date: Date,
): Record<string, string> {
  const headers: Record<string, string> = {
    'x-acs-date': formatAcsDate(date),
    'x-acs-security-token': credentials.securityToken ?? '',
  };
  const signed = canonicalHeaders(headers);
  const canonical = canonicalRequest(
    method.toUpperCase(),
    url.pathname.replaceAll('$', '%24'),
    canonicalQuery(queryOf(url)),
    signed,
    '',
  );
  const sig = signature(credentials.accessKeySecret, stringToSign(canonical));
  headers.authorization = authorizationHeader(credentials.accessKeyId, signed.signedHeaders, sig);
  return headers;
}

function queryOf(url: URL): Record<string, string> {
  const single = singleValuedQuery(url.searchParams);
  if ('query' in single) return single.query;
  throw new SigningError(
    `the query parameter ${single.repeated} is given twice; a signed request carries each name once`,
  );
}
