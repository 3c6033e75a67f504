/**
 * Why polls fail, told to operators: each failed poll as a code and a message (its log line), and, when
 * most polls of a sweep fail the same way, the probable cause and what to check. A missing RAM
 * permission or refused credentials fail every poll alike; said once a sweep, the cause shows in the
 * first minute, not after a day of jobs given up.
 */
import { AicontentError } from '#shared/aicontent/errors.ts';
import { AppError } from '#shared/errors.ts';

/** What a failed poll's log line says. */
export interface PollFailure {
  /** Our stable code, as in the job's `lastError` and the sweep's `errorsByCode`. */
  code: string;
  message: string;
  /**
   * What aicontent or the network said, when known: the gateway's `Code` (`Forbidden.RAM`), aicontent's
   * `errCode`, or the socket's error (`ENOTFOUND`, `ECONNREFUSED`…).
   */
  upstreamCode?: string;
  /** aicontent's request id, for a ticket with aicontent. */
  upstreamRequestId?: string;
}

/** Our stable code for any error: an `AppError`'s own, `InternalError` for anything else. */
export function errorCode(error: unknown): string {
  return error instanceof AppError ? error.code : 'InternalError';
}

/** The first string `code` among an error's causes: the socket's ECONNREFUSED under a network error. */
function causeCode(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth++) {
    const { code } = cause as { code?: unknown };
    if (typeof code === 'string') return code;
    cause = cause.cause;
  }
  return undefined;
}

export function pollFailure(error: unknown): PollFailure {
  const failure: PollFailure = {
    code: errorCode(error),
    message: error instanceof Error ? error.message : String(error),
  };
  const upstreamCode =
    error instanceof AicontentError
      ? (error.upstreamCode ?? error.errCode ?? causeCode(error.cause))
      : undefined;
  if (upstreamCode) failure.upstreamCode = upstreamCode;
  if (error instanceof AicontentError && error.requestId) failure.upstreamRequestId = error.requestId;
  return failure;
}

/**
 * From a failure's code (the upstream one when known, else ours) to its probable cause and what to
 * check. The first row whose pattern matches wins. Codes with no row (JobNotFound, a 5xx of aicontent's)
 * are about one job, or aicontent's own trouble: nothing for the deployment to change.
 */
export const PROBABLE_CAUSES: readonly { codes: RegExp; cause: string }[] = [
  {
    codes: /^(Forbidden|NoPermission)/,
    cause:
      "permission: the sweeper's RAM role may not query aicontent; attach ram/sweeper-policy.json " +
      '(aicontent:PersonalizedTextToImageQueryPreModelInferenceJobInfo) to SWEEPER_ROLE',
  },
  {
    codes:
      /^(InvalidAccessKeyId|InvalidSecurityToken|MissingSecurityToken|SignatureDoesNotMatch|IncompleteSignature)/,
    cause:
      'credentials: aicontent refuses the STS credentials FC hands the sweeper; check that SWEEPER_ROLE ' +
      'exists, trusts fc.aliyuncs.com and is the role of the function (s.yaml)',
  },
  {
    codes: /^(Throttling|UpstreamThrottled$)/,
    cause:
      "throttling: aicontent limits the account's request rate; lower SWEEP_CONCURRENCY, or ask for a " +
      'higher quota',
  },
  {
    codes: /^(E[A-Z_]+|UpstreamTimeout|InvalidApi\.NotFound|InvalidVersion)$/,
    cause:
      'endpoint or network: aicontent cannot be reached; check AICONTENT_ENDPOINT, the function’s internet ' +
      'access (internetAccess in s.yaml) and, in a VPC, a NAT gateway with an SNAT entry for its vSwitches',
  },
];

/** The probable cause of failures with this code, if the table knows one. */
export function probableCause(code: string): string | undefined {
  return PROBABLE_CAUSES.find((row) => row.codes.test(code))?.cause;
}

/**
 * Counts a sweep's polls and failures, and says, when most of its polls failed with the same code and
 * the table knows why, the probable cause.
 */
export function pollTally() {
  let polls = 0;
  const failures = new Map<string, number>();
  return {
    polled(): void {
      polls++;
    },
    failed(failure: PollFailure): void {
      const code = failure.upstreamCode ?? failure.code;
      failures.set(code, (failures.get(code) ?? 0) + 1);
    },
    /** The code most polls failed with, how many, and its probable cause; undefined if none. */
    commonFailure(): { code: string; failed: number; polls: number; cause: string } | undefined {
      let common: [string, number] | undefined;
      for (const entry of failures) if (!common || entry[1] > common[1]) common = entry;
      if (!common || common[1] * 2 <= polls) return undefined;
      const cause = probableCause(common[0]);
      return cause ? { code: common[0], failed: common[1], polls, cause } : undefined;
    },
  };
}
