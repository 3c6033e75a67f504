import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CronError, parseSchedule } from '#local/runtime/cron.ts';

/** The next `count` fire times after `from`, as ISO strings. */
function fireTimes(expression: string, from: string, count = 3): string[] {
  const schedule = parseSchedule(expression);
  const times: string[] = [];
  let at = new Date(from);
  for (let i = 0; i < count; i++) {
    at = schedule.next(at);
    times.push(at.toISOString());
  }
  return times;
}

describe('@every', () => {
  it.each([
    ['@every 30s', ['2024-01-01T00:00:30.000Z', '2024-01-01T00:01:00.000Z']],
    ['@every 5m', ['2024-01-01T00:05:00.000Z', '2024-01-01T00:10:00.000Z']],
    ['@every 2h', ['2024-01-01T02:00:00.000Z', '2024-01-01T04:00:00.000Z']],
  ])('%s counts from the previous fire time', (expression, expected) => {
    expect(fireTimes(expression, '2024-01-01T00:00:00Z', 2)).toEqual(expected);
  });

  it('refuses a zero interval and other units', () => {
    expect(() => parseSchedule('@every 0s')).toThrow(CronError);
    expect(() => parseSchedule('@every 5d')).toThrow(/unsupported schedule/);
    expect(() => parseSchedule('@daily')).toThrow(/unsupported schedule/);
  });
});

describe('6-field cron (UTC)', () => {
  it.each([
    [
      '0 */5 * * * *',
      '2024-01-01T00:03:07Z',
      ['2024-01-01T00:05:00.000Z', '2024-01-01T00:10:00.000Z', '2024-01-01T00:15:00.000Z'],
    ],
    [
      '0 0 8 * * *',
      '2024-01-01T08:00:00Z',
      ['2024-01-02T08:00:00.000Z', '2024-01-03T08:00:00.000Z', '2024-01-04T08:00:00.000Z'],
    ],
    [
      '*/20 * * * * *',
      '2024-01-01T00:00:59Z',
      ['2024-01-01T00:01:00.000Z', '2024-01-01T00:01:20.000Z', '2024-01-01T00:01:40.000Z'],
    ],
    [
      '0 30 9-11 * * *',
      '2024-01-01T10:45:00Z',
      ['2024-01-01T11:30:00.000Z', '2024-01-02T09:30:00.000Z', '2024-01-02T10:30:00.000Z'],
    ],
    [
      '0 0 0 1,15 * *',
      '2024-01-10T00:00:00Z',
      ['2024-01-15T00:00:00.000Z', '2024-02-01T00:00:00.000Z', '2024-02-15T00:00:00.000Z'],
    ],
    [
      '0 0 12 * * MON-FRI',
      '2024-01-05T13:00:00Z',
      ['2024-01-08T12:00:00.000Z', '2024-01-09T12:00:00.000Z', '2024-01-10T12:00:00.000Z'],
    ],
    [
      '0 0 0 * * 0',
      '2024-01-01T00:00:00Z',
      ['2024-01-07T00:00:00.000Z', '2024-01-14T00:00:00.000Z', '2024-01-21T00:00:00.000Z'],
    ],
    [
      '0 0 0 1 JAN,JUL ?',
      '2024-03-01T00:00:00Z',
      ['2024-07-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', '2025-07-01T00:00:00.000Z'],
    ],
    [
      '0 0 0 29 2 *',
      '2024-03-01T00:00:00Z',
      ['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z', '2036-02-29T00:00:00.000Z'],
    ],
    [
      '10/25 0 0 * * *',
      '2024-01-01T00:00:00Z',
      ['2024-01-01T00:00:10.000Z', '2024-01-01T00:00:35.000Z', '2024-01-02T00:00:10.000Z'],
    ],
    // Both day fields restricted: either matches (the 13th, or a Friday).
    [
      '0 0 0 13 * FRI',
      '2024-09-01T00:00:00Z',
      ['2024-09-06T00:00:00.000Z', '2024-09-13T00:00:00.000Z', '2024-09-20T00:00:00.000Z'],
    ],
    [
      '0 59 23 31 12 *',
      '2024-12-31T23:59:00Z',
      ['2025-12-31T23:59:00.000Z', '2026-12-31T23:59:00.000Z', '2027-12-31T23:59:00.000Z'],
    ],
  ])('%s after %s', (expression, from, expected) => {
    expect(fireTimes(expression, from)).toEqual(expected);
  });

  it('fires strictly after the given time, on whole seconds', () => {
    expect(parseSchedule('* * * * * *').next(new Date('2024-01-01T00:00:00.700Z')).toISOString()).toBe(
      '2024-01-01T00:00:01.000Z',
    );
  });

  it('always answers a later matching time (property)', () => {
    const schedule = parseSchedule('15 */7 1-20 * * *');
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        (from) => {
          const next = schedule.next(from);
          expect(next.getTime()).toBeGreaterThan(from.getTime());
          expect(next.getUTCSeconds()).toBe(15);
          expect(next.getUTCMinutes() % 7).toBe(0);
          expect(next.getUTCHours()).toBeGreaterThanOrEqual(1);
          expect(next.getUTCHours()).toBeLessThanOrEqual(20);
        },
      ),
    );
  });

  it.each([
    ['0 */5 * * *', /has 5 fields; FC cron has 6/],
    ['0 0 0 L * *', /bad day of month field "L".*L, W and # are not supported/],
    ['0 0 0 * * 5#2', /bad day of week field/],
    ['60 * * * * *', /bad second field "60".*not a value in 0-59/],
    ['0 0 10-2 * * *', /runs backwards/],
    ['0 0 0 * FOO *', /bad month field/],
    ['*/0 * * * * *', /step must be a positive whole number/],
    ['CRON_TZ=Asia/Shanghai 0 0 4 1 * *', /time-zone prefixes are not supported locally.*UTC/],
  ])('refuses %s with a clear message', (expression, message) => {
    expect(() => parseSchedule(expression)).toThrow(message);
  });

  it('says when an expression never fires', () => {
    expect(() => parseSchedule('0 0 0 31 2 *').next(new Date('2024-01-01T00:00:00Z'))).toThrow(/never fires/);
  });
});
