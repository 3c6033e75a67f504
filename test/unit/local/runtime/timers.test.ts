import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { startTimers, timerEvent } from '#local/runtime/timers.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2024-07-12T06:44:19.500Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

it("builds FC's timer event: whole seconds, UTC", () => {
  const event = JSON.parse(timerEvent('tick', '{"a":1}', new Date('2024-07-12T06:45:00.000Z')).toString());
  expect(event).toEqual({ triggerTime: '2024-07-12T06:45:00Z', triggerName: 'tick', payload: '{"a":1}' });
});

it('fires each timer on its schedule until stopped', () => {
  const fired: string[] = [];
  const stop = startTimers([
    { cronExpression: '0 */5 * * * *', fire: (at) => fired.push(`cron ${at.toISOString()}`) },
    { cronExpression: '@every 4m', fire: (at) => fired.push(`every ${at.toISOString()}`) },
  ]);
  vi.advanceTimersByTime(11 * 60_000);
  expect(fired).toEqual([
    'cron 2024-07-12T06:45:00.000Z',
    'every 2024-07-12T06:48:19.500Z',
    'cron 2024-07-12T06:50:00.000Z',
    'every 2024-07-12T06:52:19.500Z',
    'cron 2024-07-12T06:55:00.000Z',
  ]);
  stop();
  vi.advanceTimersByTime(60 * 60_000);
  expect(fired).toHaveLength(5);
});

it('skips ticks missed while the process was busy', () => {
  const fired: string[] = [];
  startTimers([{ cronExpression: '0 * * * * *', fire: (at) => fired.push(at.toISOString()) }]);
  // The clock jumps 3 minutes before the first timer callback runs.
  vi.setSystemTime(new Date('2024-07-12T06:48:10Z'));
  vi.advanceTimersByTime(60_000);
  expect(fired).toEqual(['2024-07-12T06:45:00.000Z', '2024-07-12T06:49:00.000Z']);
});

it('waits in steps for a fire time beyond the longest setTimeout', () => {
  const fired: string[] = [];
  startTimers([{ cronExpression: '0 0 0 1 1 *', fire: (at) => fired.push(at.toISOString()) }]);
  vi.advanceTimersByTime(200 * 24 * 3_600_000);
  expect(fired).toEqual(['2025-01-01T00:00:00.000Z']);
});
