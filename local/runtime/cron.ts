/**
 * The schedules of FC timer triggers (docs/fc-runtime.md §3): `@every <n>s|m|h`, or a 6-field cron
 * `Sec Min Hour Day-of-month Month Day-of-week`, always in UTC.
 *
 * Fields take `*`, `?` (same as `*`, as FC's console writes day fields), numbers, names (`JAN`, `MON`),
 * lists `a,b`, ranges `a-b` and steps `*\/n`, `a-b/n`, `a/n`. When both day fields are restricted a
 * day matches if either does (classic cron). `L`, `W`, `#` and a `CRON_TZ=` prefix are refused with a
 * message rather than misread.
 */

export interface Schedule {
  /** The first fire time strictly after `after`. */
  next(after: Date): Date;
}

export class CronError extends Error {
  override name = 'CronError';
}

const EVERY = /^@every\s+(\d+)([smh])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  // Names map to min + index: JAN = 1, SUN = 0.
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  { name: 'day of week', min: 0, max: 6, names: DAY_NAMES },
];

/** Long enough for the rarest date there is (Feb 29); an expression that never matches ends the search. */
const SEARCH_LIMIT_MS = 5 * 366 * 24 * 3_600_000;

export function parseSchedule(expression: string): Schedule {
  const text = expression.trim();
  if (text.startsWith('CRON_TZ=')) {
    throw new CronError(
      `time-zone prefixes are not supported locally (${JSON.stringify(expression)}): write the cron in UTC`,
    );
  }
  const every = EVERY.exec(text);
  if (every) return everySchedule(Number(every[1]) * UNIT_MS[every[2] as keyof typeof UNIT_MS], expression);
  if (text.startsWith('@')) {
    throw new CronError(
      `unsupported schedule ${JSON.stringify(expression)}: use "@every <n>s|m|h" or 6 fields`,
    );
  }
  return cronSchedule(text, expression);
}

function everySchedule(intervalMs: number, expression: string): Schedule {
  if (intervalMs <= 0) throw new CronError(`the interval of ${JSON.stringify(expression)} must be positive`);
  return { next: (after) => new Date(after.getTime() + intervalMs) };
}

function cronSchedule(text: string, expression: string): Schedule {
  const parts = text.split(/\s+/);
  if (parts.length !== 6) {
    throw new CronError(
      `${JSON.stringify(expression)} has ${parts.length} fields; FC cron has 6: ` +
        'second minute hour day-of-month month day-of-week',
    );
  }
  const [seconds, minutes, hours, days, months, weekdays] = FIELDS.map((spec, i) =>
    parseField(parts[i] ?? '', spec, expression),
  ) as [Field, Field, Field, Field, Field, Field];

  const dayMatches = (date: Date): boolean => {
    const dom = days.values.has(date.getUTCDate());
    const dow = weekdays.values.has(date.getUTCDay());
    if (days.any) return dow;
    if (weekdays.any) return dom;
    return dom || dow;
  };

  return {
    next(after) {
      // Start at the next whole second, then skip forward by the largest unit that does not match.
      const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      const limit = t.getTime() + SEARCH_LIMIT_MS;
      while (t.getTime() <= limit) {
        if (!months.values.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0);
        } else if (!dayMatches(t)) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0);
        } else if (!hours.values.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0);
        } else if (!minutes.values.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0);
        } else if (!seconds.values.has(t.getUTCSeconds())) {
          t.setUTCSeconds(t.getUTCSeconds() + 1);
        } else {
          return t;
        }
      }
      throw new CronError(`${JSON.stringify(expression)} never fires`);
    },
  };
}

interface Field {
  values: Set<number>;
  /** Written as `*` or `?`: matters for the day-of-month / day-of-week rule. */
  any: boolean;
}

function parseField(text: string, spec: FieldSpec, expression: string): Field {
  const fail = (why: string) =>
    new CronError(`bad ${spec.name} field ${JSON.stringify(text)} in ${JSON.stringify(expression)}: ${why}`);
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const [range = '', stepText, ...extra] = item.split('/');
    if (extra.length > 0) throw fail('more than one "/"');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw fail(`the step must be a positive whole number`);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') {
      [from, to] = [spec.min, spec.max];
    } else {
      const [start = '', end, ...more] = range.split('-');
      if (more.length > 0) throw fail('more than one "-"');
      from = fieldValue(start, spec, fail);
      // `a/n` means from a to the end of the field, stepping n.
      to = end !== undefined ? fieldValue(end, spec, fail) : stepText !== undefined ? spec.max : from;
      if (from > to) throw fail(`the range ${range} runs backwards`);
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return { values, any: text === '*' || text === '?' };
}

function fieldValue(text: string, spec: FieldSpec, fail: (why: string) => CronError): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? spec.min + named : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= spec.min && value <= spec.max)) {
    throw fail(
      `${JSON.stringify(text)} is not a value in ${spec.min}-${spec.max} (L, W and # are not supported)`,
    );
  }
  return value;
}
