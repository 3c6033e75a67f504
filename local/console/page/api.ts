/**
 * The page's calls to the operator API, through the console server's `/api/` proxy (which signs them
 * for a deployed trigger). Every failure becomes an `ApiError` that says what was asked and what came
 * back, so the page can show it as it is.
 */
import type {
  ErrorBody,
  JobPage,
  JobReplyBody,
  JobState,
  Stats,
  Tracking,
} from '#shared/query/operatorApi.ts';
import { CONSOLE_HEADER } from './consoleHeader.ts';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    /** `DELETE /jobs/20`, say. */
    readonly request: string,
    /** 0 when no response came back at all. */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

function errorFrom(request: string, status: number, text: string): ApiError {
  try {
    const { error } = JSON.parse(text) as ErrorBody;
    if (typeof error?.code === 'string') {
      return new ApiError(request, status, error.code, String(error.message), error.requestId);
    }
  } catch {
    // not the error envelope: shown as it came, below
  }
  return new ApiError(request, status, `HTTP${status}`, text.slice(0, 300) || 'no body');
}

async function call<T>(method: string, path: string): Promise<T> {
  const request = `${method} ${path}`;
  let response: Response;
  try {
    response = await fetch(`/api${path}`, { method, headers: { [CONSOLE_HEADER]: '1' } });
  } catch (error) {
    throw new ApiError(request, 0, 'NetworkError', `the console server did not answer: ${String(error)}`);
  }
  const text = await response.text();
  if (!response.ok) throw errorFrom(request, response.status, text);
  if (response.status === 204 || text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(request, response.status, 'InvalidResponse', `not JSON: ${text.slice(0, 300)}`);
  }
}

const jobPath = (id: string) => `/jobs/${encodeURIComponent(id)}`;

export const api = {
  stats: () => call<Stats>('GET', '/stats'),
  list: (state: JobState, limit: number, cursor: string | null) => {
    const query = new URLSearchParams({ state, limit: String(limit), ...(cursor ? { cursor } : {}) });
    return call<JobPage>('GET', `/jobs?${query}`);
  },
  job: (id: string) => call<JobReplyBody>('GET', jobPath(id)),
  untrack: (id: string) => call<undefined>('DELETE', jobPath(id)),
  resendNotification: (id: string) => call<{ tracking: Tracking }>('POST', `${jobPath(id)}/notify`),
};
