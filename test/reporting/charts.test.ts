/** The timeline chart draws an SLO line where a series carries one, and keeps it in view. */
import { describe, expect, it } from 'vitest';
import { timelineChart, timelinePlot } from '../../harness/reporting/html/charts.ts';
import type { Timeline, TimelineSeries } from '../../harness/results/model.ts';

const series: TimelineSeries = {
  name: 'validation: p95 latency',
  unit: 'ms',
  points: [
    [0, 3],
    [1000, 5],
    [2000, 4],
  ],
  threshold: { value: 300, label: 'slo.validationP95 p95 < 300 ms' },
};
const timeline: Timeline = { series: [series], faults: [] };

describe('timeline SLO lines', () => {
  it('scales the axis to show the SLO line above every point', () => {
    expect(timelinePlot(series, timeline).yMax).toBeGreaterThanOrEqual(300);
    const { threshold: _, ...bare } = series;
    expect(timelinePlot(bare, { series: [bare], faults: [] }).yMax).toBeLessThan(300);
  });
  it('draws the line with its label, and none without a threshold', () => {
    const svg = timelineChart(series, timeline, 0);
    expect(svg).toContain('class="threshold"');
    expect(svg).toContain('slo.validationP95 p95 &lt; 300 ms');
    const { threshold: _, ...bare } = series;
    expect(timelineChart(bare, { series: [bare], faults: [] }, 0)).not.toContain('class="threshold"');
  });
});
