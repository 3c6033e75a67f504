/** How the console writes numbers, durations and times: pure functions, the same in the page and in tests. */

const integer = new Intl.NumberFormat('en-US');

/** A count, with thousands separators: 12,345. */
export function formatCount(value: number): string {
  return integer.format(value);
}

/**
 * A duration for people: 0.4 s, 42 s, 1 min 26 s, 2 h 5 min, 3 d 4 h. Two units at most; below a
 * minute, tenths of a second under 10 s.
 */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, seconds);
  if (s < 10) return `${Math.round(s * 10) / 10} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ];
  const whole = Math.round(s);
  const first = units.findIndex(([, size]) => whole >= size);
  const [bigName, bigSize] = units[first] as [string, number];
  const [smallName, smallSize] = units[first + 1] as [string, number];
  const big = Math.floor(whole / bigSize);
  const small = Math.floor((whole % bigSize) / smallSize);
  return small === 0 ? `${big} ${bigName}` : `${big} ${bigName} ${small} ${smallName}`;
}

/** Milliseconds, as a duration. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : formatSeconds(ms / 1000);
}

/** `iso` relative to `now`: "12 s ago", "in 3 min", "now". */
export function formatRelative(iso: string, now: number): string {
  const seconds = (Date.parse(iso) - now) / 1000;
  if (Math.abs(seconds) < 1) return 'now';
  const text = formatSeconds(Math.abs(seconds) < 10 ? Math.round(Math.abs(seconds)) : Math.abs(seconds));
  return seconds < 0 ? `${text} ago` : `in ${text}`;
}

/** An ISO-8601 time as the operator's local date and time, to the second. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** A histogram bucket's label from its upper bound: ≤ 10 s, ≤ 2 min, > 1 h (null: past the last bound). */
export function bucketLabel(upToSeconds: number | null, previous: number | null): string {
  if (upToSeconds === null) return `> ${formatSeconds(previous)}`;
  return `≤ ${formatSeconds(upToSeconds)}`;
}

/** The same, short enough for an axis: ≤10s, ≤2m, >1h. */
export function shortBucketLabel(upToSeconds: number | null, previous: number | null): string {
  return bucketLabel(upToSeconds, previous)
    .replace(/ (min|s|h|d)\b/g, (_, unit: string) => unit.charAt(0))
    .replace(' ', '');
}

/** Hours and minutes of a time, in the operator's zone: 14:05. */
export function formatClock(date: Date): string {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/** Job states as people say them. */
export function stateLabel(state: string): string {
  return state === 'gave_up' ? 'gave up' : state;
}
