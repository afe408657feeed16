/**
 * The profile's `slo` as k6 thresholds, and k6's threshold results back as SLO verdicts. Each SLO
 * names the k6 metric (and tag) the scenario operations emit (scenarios/lib/metrics.ts); an SLO
 * applies to a scenario only when one of its operations emits that metric, and after the run a
 * threshold whose metric got no sample is an error, never a silent pass.
 */
import { formatDuration } from '../lib/duration.ts';
import type { Profile } from '../profile/schema.ts';
import type { SloVerdict } from '../results/model.ts';
import type { Operation } from './scenarios.ts';

export type SloName = keyof Profile['slo'];

export interface LoadSlo {
  name: SloName;
  /** The k6 metric the threshold is on, with its tag filter: `http_req_duration{op:issuance}`. */
  metric: string;
  /** The k6 threshold expression: `p(95)<300`. */
  expression: string;
  /** For people: `p95 < 300 ms`. */
  threshold: string;
  /** The summary value the verdict shows, and how to print it. */
  observe: (values: Record<string, number>) => string;
  /** The CSV metric name and op tag whose samples prove the metric was emitted. */
  sample: { metric: string; op?: Operation };
  /** Where the SLO shows on the report's timeline: the series (by its name suffix) and the value in its unit. */
  chartLine?: { series: 'p95 latency' | 'error rate'; value: number };
}

interface SloDefinition {
  ops: Operation[] | 'any';
  build(value: number, ops: Operation[]): Omit<LoadSlo, 'name'>;
}

const latency = (op: Operation): SloDefinition => ({
  ops: [op],
  build: (ms) => ({
    metric: `http_req_duration{op:${op}}`,
    expression: `p(95)<${ms}`,
    threshold: `p95 < ${formatMs(ms)}`,
    observe: (values) => `p95 ${formatMs(values['p(95)'])}`,
    sample: { metric: 'http_req_duration', op },
    chartLine: { series: 'p95 latency', value: ms },
  }),
});

const percent = (fraction: number | undefined) =>
  fraction === undefined ? 'no data' : `${(fraction * 100).toFixed(fraction > 0.99 && fraction < 1 ? 3 : 2)} %`;

/** Which operations' requests each SLO is measured on. `any`: every scenario emits it. */
const definitions: Record<Exclude<SloName, 'revocationPropagation'>, SloDefinition> = {
  issuanceP95: latency('issuance'),
  validationP95: latency('validation'),
  introspectionP95: latency('introspection'),
  availability: {
    ops: 'any',
    build: (fraction) => ({
      metric: 'tokenproof_available',
      expression: `rate>=${fraction}`,
      threshold: `≥ ${percent(fraction)} of legitimate requests succeed`,
      observe: (values) => percent(values['rate']),
      sample: { metric: 'tokenproof_available' },
    }),
  },
  errorRate: {
    ops: 'any',
    build: (fraction) => ({
      metric: 'tokenproof_errors',
      expression: `rate<=${fraction}`,
      threshold: `≤ ${percent(fraction)} unexpected outcomes`,
      observe: (values) => percent(values['rate']),
      sample: { metric: 'tokenproof_errors' },
      chartLine: { series: 'error rate', value: fraction * 100 },
    }),
  },
  refreshFailureRate: {
    ops: ['refresh'],
    build: (fraction) => ({
      metric: 'tokenproof_refresh_failed',
      expression: `rate<=${fraction}`,
      threshold: `≤ ${percent(fraction)} of refreshes fail`,
      observe: (values) => percent(values['rate']),
      sample: { metric: 'tokenproof_refresh_failed', op: 'refresh' },
    }),
  },
  minThroughput: {
    ops: 'any',
    build: (perSecond) => ({
      metric: 'http_reqs',
      expression: `rate>=${perSecond}`,
      threshold: `≥ ${perSecond} req/s`,
      observe: (values) => `${(values['rate'] ?? 0).toFixed(1)} req/s`,
      sample: { metric: 'http_reqs' },
    }),
  },
};

function formatMs(ms: number | undefined): string {
  if (ms === undefined) return 'no data';
  if (ms < 1) return `${Number(ms.toPrecision(2))} ms`;
  return ms < 10 ? `${ms.toFixed(2)} ms` : formatDuration(ms);
}

/** The SLOs of the profile that the scenario's operations measure (revocationPropagation is the revocation suite's). */
export function slosFor(slo: Profile['slo'], operations: readonly Operation[]): LoadSlo[] {
  const applicable: LoadSlo[] = [];
  for (const [name, definition] of Object.entries(definitions) as [SloName, SloDefinition][]) {
    const value = slo[name];
    if (value === undefined) continue;
    if (definition.ops !== 'any' && !definition.ops.some((op) => operations.includes(op))) continue;
    applicable.push({ name, ...definition.build(value, [...operations]) });
  }
  return applicable;
}

/** The SLOs of the profile this scenario cannot measure, for the report ("not measured by issuance"). */
export function slosNotMeasured(slo: Profile['slo'], operations: readonly Operation[]): SloName[] {
  const measured = new Set(slosFor(slo, operations).map((s) => s.name));
  return (Object.keys(definitions) as SloName[]).filter((name) => slo[name] !== undefined && !measured.has(name));
}

/**
 * k6 thresholds: one per SLO, plus L01 (nothing wrongly accepted) so a k6-operator runner, which
 * the harness does not watch, fails on its own too.
 */
export function k6Thresholds(slos: readonly LoadSlo[]): Record<string, string[]> {
  const thresholds: Record<string, string[]> = { tokenproof_wrongly_accepted: ['count==0'] };
  for (const slo of slos) thresholds[slo.metric] = [...(thresholds[slo.metric] ?? []), slo.expression];
  return thresholds;
}

export interface SummaryMetric {
  type?: string;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

/**
 * One verdict per SLO from k6's summary. `emitted` tells whether the scenario produced any sample
 * of the SLO's metric: a threshold over nothing is reported as breached (it measured nothing).
 */
export function sloVerdicts(
  slos: readonly LoadSlo[],
  metrics: Record<string, SummaryMetric | undefined>,
  emitted: (slo: LoadSlo) => boolean,
): SloVerdict[] {
  return slos.map((slo) => {
    const metric = metrics[slo.metric];
    if (!emitted(slo) || !metric) {
      return {
        name: slo.name,
        threshold: slo.threshold,
        observed: `no samples: the scenario emitted no ${slo.metric}`,
        ok: false,
      };
    }
    const verdict = metric.thresholds?.[slo.expression];
    return {
      name: slo.name,
      threshold: slo.threshold,
      observed: slo.observe(metric.values),
      ok: verdict?.ok ?? false,
    };
  });
}
