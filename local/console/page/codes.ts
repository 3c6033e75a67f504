/** What the error codes of failed polls mean to an operator: why the sweeper could not learn a job's state. */
const MEANING: Record<string, string> = {
  UpstreamThrottled: 'aicontent throttled the poll; the next waits as it asked',
  UpstreamUnavailable: 'aicontent answered 5xx or was unavailable',
  UpstreamTimeout: 'no answer within AICONTENT_TIMEOUT_MS',
  UpstreamRejected: 'aicontent refused our signature, token or permission: check the role',
  JobNotFound: 'aicontent does not know the job id',
  InvalidJobId: 'the tracked id is not a valid job id',
  InternalError: 'the sweeper failed; its log has the request id',
};

export function codeMeaning(code: string): string | undefined {
  return MEANING[code];
}
