/**
 * The two charts, drawn by uPlot (bundled: about 50 KB minified, the smallest well-kept canvas chart
 * library that does bars, lines and two y axes). Each chart has its numbers in a table next to it for
 * screen readers and for copying.
 */
import uPlot from 'uplot';
import type { RecentSweep, Stats } from '#shared/query/operatorApi.ts';
import { formatClock, formatMs, shortBucketLabel } from './format.ts';

const COLORS = {
  bar: '#3b6fd8',
  barFill: 'rgba(59, 111, 216, 0.75)',
  error: '#d43d3d',
  errorFill: 'rgba(212, 61, 61, 0.85)',
  line: '#e08a00',
  grid: '#e6e8ee',
  text: '#4a5163',
};

const axis = (extra: uPlot.Axis = {}): uPlot.Axis => ({
  stroke: COLORS.text,
  grid: { stroke: COLORS.grid, width: 1 },
  ticks: { stroke: COLORS.grid, width: 1 },
  font: '12px system-ui, sans-serif',
  ...extra,
});

/** A uPlot chart that follows its container's width. */
class Chart {
  private plot: uPlot | undefined;
  constructor(
    private readonly container: HTMLElement,
    private readonly height: number,
  ) {
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: this.height })).observe(
      container,
    );
  }

  private width(): number {
    return Math.max(200, this.container.clientWidth);
  }

  /** Draws anew: the options (axis labels) depend on the data. */
  draw(options: Omit<uPlot.Options, 'width' | 'height'>, data: uPlot.AlignedData): void {
    this.plot?.destroy();
    this.plot = new uPlot({ ...options, width: this.width(), height: this.height }, data, this.container);
  }
}

const bars = uPlot.paths.bars?.({ size: [0.7, 48] });

export class HistogramChart extends Chart {
  update(histogram: Stats['timeToFinish']['histogram']): void {
    const labels = histogram.map((bucket, i) =>
      shortBucketLabel(bucket.upToSeconds, histogram[i - 1]?.upToSeconds ?? null),
    );
    const indexes = labels.map((_, i) => i);
    this.draw(
      {
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: false, range: [-0.5, labels.length - 0.5] },
          y: { range: (_, __, max) => [0, Math.max(1, max) * 1.1] },
        },
        axes: [
          axis({
            splits: () => indexes,
            values: (_, splits) => splits.map((i) => labels[i] ?? ''),
            font: '11px system-ui, sans-serif',
          }),
          axis({ size: 44 }),
        ],
        series: [
          {},
          {
            label: 'jobs',
            stroke: COLORS.bar,
            fill: COLORS.barFill,
            width: 1,
            paths: bars,
            points: { show: false },
          },
        ],
      },
      [indexes, histogram.map((bucket) => bucket.count)],
    );
  }
}

/** Failed polls of one sweep, all codes together. */
export const pollErrors = (sweep: RecentSweep) => Object.values(sweep.errors).reduce((a, b) => a + b, 0);

export class SweepsChart extends Chart {
  /** `sweeps` newest first, as `/stats` gives them. */
  update(sweeps: RecentSweep[]): void {
    const oldestFirst = [...sweeps].reverse();
    this.draw(
      {
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true },
          y: { range: (_, __, max) => [0, Math.max(1, max) * 1.1] },
          ms: { range: (_, __, max) => [0, Math.max(1, max) * 1.15] },
        },
        axes: [
          axis({ values: (_, splits) => splits.map((s) => formatClock(new Date(s * 1000))) }),
          axis({ size: 44, label: 'jobs', labelSize: 16, labelFont: '12px system-ui, sans-serif' }),
          axis({
            scale: 'ms',
            side: 1,
            size: 56,
            grid: { show: false },
            values: (_, splits) => splits.map((ms) => formatMs(ms)),
          }),
        ],
        series: [
          {},
          {
            label: 'claimed',
            stroke: COLORS.bar,
            fill: COLORS.barFill,
            width: 1,
            paths: bars,
            points: { show: false },
          },
          {
            label: 'poll errors',
            stroke: COLORS.error,
            fill: COLORS.errorFill,
            width: 1,
            paths: bars,
            points: { show: false },
          },
          {
            label: 'duration',
            scale: 'ms',
            stroke: COLORS.line,
            width: 2,
            points: { size: 5, fill: COLORS.line },
          },
        ],
      },
      [
        oldestFirst.map((sweep) => Date.parse(sweep.startedAt) / 1000),
        oldestFirst.map((sweep) => sweep.claimed),
        oldestFirst.map(pollErrors),
        oldestFirst.map((sweep) => sweep.durationMs),
      ],
    );
  }
}
