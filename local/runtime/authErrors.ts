/**
 * How FC refuses a request it cannot authenticate: its codes and statuses (FC's error code table,
 * https://www.alibabacloud.com/help/en/functioncompute/error-codes): 400 MissingRequiredHeader for an
 * unsigned request, 403 SignatureNotMatch / InvalidAccessKeyID / InvalidSecurityToken for a bad
 * signature or key. The table lists no code for a stale date or a replayed nonce: RequestTimeTooSkewed
 * (what the FC 2.0 path has always responded with) and SignatureNonceUsed are ours. The detail after FC's own
 * words is ours too (masked of credentials by `apiError`).
 *
 * The aicontent emulator's verifier, which checks the FC 3.0 invoke path, speaks the OpenAPI gateway's
 * codes (`SignatureDoesNotMatch`, …): `fromGatewayCode` turns them into FC's.
 */
import type { GatewayCode } from '#local/emulator/gatewayErrors.ts';
import { type ApiErrorResponse, apiError } from './responses.ts';

const FC_AUTH_ERRORS = {
  MissingRequiredHeader: 400,
  InvalidArgument: 400,
  PathNotSupported: 400,
  SignatureNotMatch: 403,
  InvalidAccessKeyID: 403,
  InvalidSecurityToken: 403,
  RequestTimeTooSkewed: 403,
  SignatureNonceUsed: 403,
  ResourceExhausted: 429,
} as const;

export type FcAuthCode = keyof typeof FC_AUTH_ERRORS;

export interface AuthRefusal {
  code: FcAuthCode;
  message: string;
}

export const SIGNATURE_NOT_MATCH =
  'The request signature we calculated does not match the signature you provided. Check your access key and signing method.';

export function refusalResponse(refusal: AuthRefusal, requestId: string): ApiErrorResponse {
  return apiError(FC_AUTH_ERRORS[refusal.code], refusal.code, refusal.message, requestId);
}

const FROM_GATEWAY: Record<GatewayCode, FcAuthCode> = {
  MissingParameter: 'MissingRequiredHeader',
  IncompleteSignature: 'SignatureNotMatch',
  SignatureDoesNotMatch: 'SignatureNotMatch',
  'InvalidTimeStamp.Format': 'InvalidArgument',
  'InvalidTimeStamp.Expired': 'RequestTimeTooSkewed',
  SignatureNonceUsed: 'SignatureNonceUsed',
  'Throttling.User': 'ResourceExhausted',
  'InvalidAccessKeyId.NotFound': 'InvalidAccessKeyID',
  'InvalidApi.NotFound': 'PathNotSupported',
  InvalidVersion: 'PathNotSupported',
  MissingSecurityToken: 'InvalidSecurityToken',
  'InvalidSecurityToken.Malformed': 'InvalidSecurityToken',
  'InvalidSecurityToken.Expired': 'InvalidSecurityToken',
  'InvalidSecurityToken.MismatchWithAccessKey': 'InvalidSecurityToken',
};

export function fromGatewayCode(code: GatewayCode, detail: string): AuthRefusal {
  const fcCode = FROM_GATEWAY[code];
  return {
    code: fcCode,
    message: fcCode === 'SignatureNotMatch' ? `${SIGNATURE_NOT_MATCH} ${detail}` : detail,
  };
}
