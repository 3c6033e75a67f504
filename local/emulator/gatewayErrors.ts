/**
 * The errors the API gateway (POP) responds with itself, before aicontent sees the request, with the gateway's
 * body `{RequestId, HostId, Code, Message, Recommend}`.
 *
 * Statuses follow the classic POP tables (docs/aicontent-api.md §5). Where the tables disagree or say
 * nothing, the choice is ours: 400 for signature, timestamp and nonce errors (and Throttling.User), 404 for
 * an unknown AccessKey or API, 403 for every STS token error (the gateway's status for those is unknown).
 */

import { maskSecrets } from '#shared/log.ts';
import { type EmulatorResponse, jsonResponse, type RequestContext } from './response.ts';

const GATEWAY_ERRORS = {
  MissingParameter: [400, 'A parameter that is mandatory for processing this request is not supplied.'],
  IncompleteSignature: [400, 'The request signature does not conform to Aliyun standards.'],
  SignatureDoesNotMatch: [400, 'Specified signature does not match our calculation.'],
  'InvalidTimeStamp.Format': [400, 'Specified time stamp or date value is not well formatted.'],
  'InvalidTimeStamp.Expired': [400, 'Specified time stamp or date value is expired.'],
  SignatureNonceUsed: [400, 'Specified signature nonce was used already.'],
  'Throttling.User': [400, 'Request was denied due to user flow control.'],
  'InvalidAccessKeyId.NotFound': [404, 'Specified access key is not found.'],
  'InvalidApi.NotFound': [404, 'Specified api is not found, please check your url and method.'],
  InvalidVersion: [404, 'Specified parameter Version is not valid.'],
  MissingSecurityToken: [403, 'SecurityToken is mandatory for this action.'],
  'InvalidSecurityToken.Malformed': [403, 'Specified SecurityToken is malformed.'],
  'InvalidSecurityToken.Expired': [403, 'Specified SecurityToken is expired.'],
  'InvalidSecurityToken.MismatchWithAccessKey': [403, 'Specified SecurityToken mismatch with the AccessKey.'],
} as const satisfies Record<string, readonly [number, string]>;

export type GatewayCode = keyof typeof GATEWAY_ERRORS;

/**
 * The gateway's error response. `detail` is appended to the standard message (the real gateway does the
 * same for SignatureDoesNotMatch, where it prints its own string to sign).
 */
export function gatewayError(
  ctx: RequestContext,
  code: GatewayCode,
  detail?: string,
  headers?: Record<string, string>,
): EmulatorResponse {
  const [status, message] = GATEWAY_ERRORS[code];
  return gatewayResponse(ctx, status, code, detail ? `${message} ${detail}` : message, headers);
}

/** Any status and code: also used for injected 5xx (ServiceUnavailable, InternalError, ...). */
export function gatewayResponse(
  ctx: RequestContext,
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): EmulatorResponse {
  const recommend =
    `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}` +
    `&product=aicontent&requestId=${ctx.requestId}`;
  return jsonResponse(
    status,
    {
      RequestId: ctx.requestId,
      HostId: ctx.host,
      Code: code,
      // A detail may quote what was signed: no token or signature leaves in it.
      Message: maskSecrets(message),
      Recommend: recommend,
    },
    headers,
  );
}
