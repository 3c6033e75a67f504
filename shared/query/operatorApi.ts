/**
 * The bodies of the query function's operator API, as they travel: the tracking view of a job, a page
 * of tracked jobs, `GET /stats`, and the error envelope every route responds with. The query function
 * builds them to these types (`trackingView`, `statsView`), and its clients (the console page, `npm run
 * jobs`) read them by the same types, so a change to the wire shape is a compile error on both sides.
 * The browser page compiles this file too: it imports only types, from modules that use no Node API.
 */
import type { Job } from '#shared/aicontent/job.ts';

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

/** `GET /jobs/{id}`. */
export interface JobReplyBody {
  /** The job as aicontent describes it now. */
  job: Job;
  terminal: boolean;
  /** When asking again makes sense; 0 once the job is terminal. */
  retryAfterSeconds: number;
  /** The job's tracking, when it is tracked. */
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

/** What one sweep did; the store keeps it with its start as epoch ms (`SweepRecord`), `/stats` as ISO-8601. */
export interface SweepCounts {
  durationMs: number;
  claimed: number;
  succeeded: number;
  failed: number;
  gaveUp: number;
  rescheduled: number;
  notified: number;
  notifyFailed: number;
  /** Polls aicontent throttled (their last try got `Throttling…`). */
  throttled: number;
  /** Failed polls by error code. */
  errors: Record<string, number>;
}

export interface RecentSweep extends SweepCounts {
  startedAt: string;
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
  sweeps: RecentSweep[];
}

/** Every error response's body. */
export interface ErrorBody {
  error: { code: string; message: string; requestId?: string };
}
