/**
 * What went wrong talking to aicontent, with everything a caller needs to decide what to do next.
 *
 * The gateway responds with `{Code, Message, RequestId}`; the aicontent service itself responds with its
 * envelope `{success: false, errCode, errMessage, requestId}`. We branch on those codes, never on the
 * HTTP status alone (statuses differ between products and tables, docs/aicontent-api.md §5).
 */
import { AppError } from '#shared/errors.ts';

export type AicontentErrorKind =
  /** The OpenAPI gateway refused the request (`Code`): signature, token, throttling… */
  | 'gateway'
  /** aicontent responded with `success: false` and an `errCode`. */
  | 'business'
  /** The body could not be read as the documented JSON. */
  | 'malformed'
  /** The request did not finish in time (per attempt, or the caller's deadline). */
  | 'timeout'
  /** The connection failed or was dropped. */
  | 'network';

export interface AicontentErrorDetails {
  kind: AicontentErrorKind;
  httpStatus?: number | undefined;
  /** Gateway `Code`, e.g. `Throttling.User`, `InvalidSecurityToken.Expired`. */
  code?: string | undefined;
  /** Business `errCode`, e.g. `B_DATA_NOT_FOUND_EXCEPTION`. */
  errCode?: string | undefined;
  errMessage?: string | undefined;
  requestId?: string | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

const RETRYABLE_CODES = /^(Throttling|ServiceUnavailable|InternalError|UnknownError|SignatureNonceUsed)/;
const CREDENTIAL_CODES = /^(InvalidSecurityToken|MissingSecurityToken)/;

/** Whether sending the same GET again (freshly signed) may succeed. */
export function isRetryable(details: AicontentErrorDetails): boolean {
  switch (details.kind) {
    case 'network':
    case 'timeout':
    case 'malformed':
      return true;
    case 'business':
      return details.errCode === 'UNKNOWN_ERROR' || (details.httpStatus ?? 0) >= 500;
    case 'gateway':
      return RETRYABLE_CODES.test(details.code ?? '') || (details.httpStatus ?? 0) >= 500;
  }
}

/** What our own functions reply for this upstream failure, and with which code. */
function classify(details: AicontentErrorDetails): { statusCode: number; code: string; message: string } {
  const upstream = details.code ?? details.errCode ?? details.kind;
  if (details.errCode === 'B_DATA_NOT_FOUND_EXCEPTION') {
    return { statusCode: 404, code: 'JobNotFound', message: 'no such inference job' };
  }
  if (details.errCode === 'B_PARAMETER_NOT_FOUND_EXCEPTION') {
    return {
      statusCode: 400,
      code: 'InvalidJobId',
      message: 'aicontent says a required parameter is missing',
    };
  }
  if (/^Throttling/.test(details.code ?? '')) {
    return {
      statusCode: 429,
      code: 'UpstreamThrottled',
      message: `aicontent is throttling requests (${upstream})`,
    };
  }
  if (details.kind === 'timeout') {
    return { statusCode: 504, code: 'UpstreamTimeout', message: 'aicontent did not answer in time' };
  }
  if (isRetryable(details)) {
    return {
      statusCode: 503,
      code: 'UpstreamUnavailable',
      message: `aicontent is unavailable (${upstream})`,
    };
  }
  // Signature, token, permission, unknown API: our deployment's fault, not the caller's.
  return {
    statusCode: 502,
    code: 'UpstreamRejected',
    message: `aicontent rejected our request (${upstream})`,
  };
}

export class AicontentError extends AppError {
  override name = 'AicontentError';
  readonly kind: AicontentErrorKind;
  readonly httpStatus: number | undefined;
  readonly upstreamCode: string | undefined;
  readonly errCode: string | undefined;
  readonly errMessage: string | undefined;
  readonly requestId: string | undefined;
  readonly retryable: boolean;
  /** The STS token was refused (expired, rotated, malformed): fresh credentials may fix it. */
  readonly credentialsRejected: boolean;

  constructor(details: AicontentErrorDetails) {
    const { statusCode, code, message } = classify(details);
    // Our own messages only: what aicontent said stays in errMessage, for logs.
    super(code, message, {
      statusCode,
      expose: true,
      retryAfterMs: details.retryAfterMs,
      cause: details.cause,
    });
    this.kind = details.kind;
    this.httpStatus = details.httpStatus;
    this.upstreamCode = details.code;
    this.errCode = details.errCode;
    this.errMessage = details.errMessage;
    this.requestId = details.requestId;
    this.retryable = isRetryable(details);
    this.credentialsRejected = details.kind === 'gateway' && CREDENTIAL_CODES.test(details.code ?? '');
  }

  /** The fields worth a log line (no secrets live here). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      kind: this.kind,
      httpStatus: this.httpStatus,
      upstreamCode: this.upstreamCode,
      errCode: this.errCode,
      errMessage: this.errMessage,
      requestId: this.requestId,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
    };
  }
}
