/**
 * The operator API of the query function, as the console reads it: the tracking view of a job, a page
 * of tracked jobs, `GET /stats`, and the error envelope every route responds with.
 */

/** Sent with every call of the page: the console server forwards nothing without it (see ../server.ts). */
export const CONSOLE_HEADER = 'x-aicontent-console';

export const JOB_STATES = ['pending', 'succeeded', 'failed', 'gave_up'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const NOTIFICATION_STATES = ['none', 'pending', 'sent', 'failed'] as const;
export type NotificationState = (typeof NOTIFICATION_STATES)[number];

/** A tracked job; times are ISO-8601 strings or null. */
export interface Tracking {
  id: string;
  state: JobState;
  /** The upstream status last seen ('' before the first poll). */
  status: string;
  attempts: number;
  firstSeenAt: string;
  nextPollAt: string | null;
  lastPolledAt: string | null;
  /** Why the last poll failed, if it did. */
  lastError: { code: string; message: string } | null;
  images: string[];
  finishedAt: string | null;
  /** Why the sweeper gave up. */
  reason: string | null;
  /** `function <name>`, `webhook <url>`…; null: the deployment's default target. */
  notify: string | null;
  notification: NotificationState;
  notifyAttempts: number;
}

/** The job as aicontent last described it (fields may be missing upstream). */
export interface UpstreamJob {
  id: string;
  status: string;
  state: string;
  terminal: boolean;
  modelId?: string;
  promptId?: string;
  progress?: number;
  images?: string[];
  createTime?: string;
}

/** `GET /jobs/{id}`. */
export interface JobReplyBody {
  job: UpstreamJob;
  terminal: boolean;
  retryAfterSeconds: number;
  tracking?: Tracking;
}

/** `GET /jobs?state=…`. */
export interface JobPage {
  jobs: Tracking[];
  cursor: string | null;
}

export interface HistogramBucket {
  /** The bucket's upper bound; null: over the last bound. */
  upToSeconds: number | null;
  count: number;
}

export interface SweepSummary {
  startedAt: string;
  durationMs: number;
  claimed: number;
  succeeded: number;
  failed: number;
  gaveUp: number;
  rescheduled: number;
  notified: number;
  notifyFailed: number;
  throttled: number;
  /** Failed polls by error code. */
  errors: Record<string, number>;
}

/** `GET /stats`. */
export interface Stats {
  generatedAt: string;
  jobs: Record<JobState, number>;
  notifications: Record<NotificationState, number>;
  dueNow: number;
  oldestPendingAgeSeconds: number | null;
  timeToFinish: {
    count: number;
    p50Seconds: number | null;
    p95Seconds: number | null;
    maxSeconds: number | null;
    histogram: HistogramBucket[];
  };
  /** Newest first. */
  sweeps: SweepSummary[];
}

/** Every error response's body. */
export interface ErrorBody {
  error: { code: string; message: string; requestId?: string };
}
