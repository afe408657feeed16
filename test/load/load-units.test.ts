/** The pure parts of the load phase: SLO thresholds and verdicts, executor sizing, the CSV fold, capacity search, baseline. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSloFlags } from '../../harness/cli/load.ts';
import { compareWithBaseline, readBaseline } from '../../harness/load/baseline.ts';
import { type CapacityStep, searchCapacity } from '../../harness/load/capacity.ts';
import { k6Message } from '../../harness/load/k6.ts';
import { scenarios, sizeExecutor, splitRate } from '../../harness/load/scenarios.ts';
import { percentile, SeriesReader } from '../../harness/load/series.ts';
import { k6Thresholds, slosFor, slosNotMeasured, sloVerdicts } from '../../harness/load/slo.ts';
import { forgeUnderOriginalSignature } from '../../harness/load/token-pool.ts';

describe('SLOs as k6 thresholds', () => {
  const slo = {
    issuanceP95: 300,
    validationP95: 50,
    availability: 0.999,
    errorRate: 0.01,
    minThroughput: 100,
    refreshFailureRate: 0.001,
  };

  it('keeps the SLOs the scenario measures and names the others', () => {
    const validation = slosFor(slo, ['validation']);
    expect(validation.map((s) => s.name)).toEqual(['validationP95', 'availability', 'errorRate', 'minThroughput']);
    expect(slosNotMeasured(slo, ['validation'])).toEqual(['issuanceP95', 'refreshFailureRate']);
    expect(k6Thresholds(validation)).toEqual({
      tokenproof_wrongly_accepted: ['count==0'],
      'http_req_duration{op:validation}': ['p(95)<50'],
      tokenproof_available: ['rate>=0.999'],
      tokenproof_errors: ['rate<=0.01'],
      http_reqs: ['rate>=100'],
    });
  });

  it("reads k6's threshold results, and a threshold over a metric nobody emitted is a breach, never a pass", () => {
    const [issuance] = slosFor({ issuanceP95: 300 }, ['issuance']);
    const metrics = {
      'http_req_duration{op:issuance}': { values: { 'p(95)': 212.4 }, thresholds: { 'p(95)<300': { ok: true } } },
    };
    expect(sloVerdicts([issuance!], metrics, () => true)).toEqual([
      { name: 'issuanceP95', threshold: 'p95 < 300 ms', observed: 'p95 212 ms', ok: true },
    ]);
    expect(sloVerdicts([issuance!], metrics, () => false)).toEqual([
      expect.objectContaining({ ok: false, observed: 'no samples: the scenario emitted no http_req_duration{op:issuance}' }),
    ]);
    expect(sloVerdicts([issuance!], {}, () => true)[0]?.ok).toBe(false);
  });

  it('parses --slo with the profile schema', () => {
    expect(parseSloFlags(['issuanceP95=50ms', 'availability=0.999'])).toEqual({ issuanceP95: 50, availability: 0.999 });
    expect(() => parseSloFlags(['availability=2'])).toThrow(/--slo: availability/);
    expect(() => parseSloFlags(['nonsense=1'])).toThrow(/--slo/);
    expect(() => parseSloFlags(['issuanceP95'])).toThrow(/not name=value/);
  });
});

describe('executors', () => {
  it('splits the rate by weight over what the target serves, each at least 1/s', () => {
    expect(
      splitRate(scenarios.mixed, 100, new Set(['validation', 'issuance', 'introspection', 'refresh', 'revocation'])),
    ).toEqual([
      { operation: 'validation', rate: 70 },
      { operation: 'issuance', rate: 15 },
      { operation: 'introspection', rate: 5 },
      { operation: 'refresh', rate: 5 },
      { operation: 'revocation', rate: 5 },
    ]);
    expect(splitRate(scenarios.mixed, 10, new Set(['validation', 'issuance']))).toEqual([
      { operation: 'validation', rate: 8 },
      { operation: 'issuance', rate: 2 },
    ]);
  });

  it('pre-allocates VUs for half a second per iteration, with a cap', () => {
    expect(sizeExecutor(20)).toEqual({ preAllocatedVUs: 10, maxVUs: 40 });
    expect(sizeExecutor(400)).toEqual({ preAllocatedVUs: 200, maxVUs: 800 });
    expect(sizeExecutor(100_000)).toEqual({ preAllocatedVUs: 400, maxVUs: 1000 });
  });
});

describe("k6's CSV output, one bucket per second", () => {
  it('counts requests, latency, errors, availability and the correctness counters per second, and reads a growing file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tokenproof-csv-')), 'samples.csv');
    const header = 'metric_name,timestamp,metric_value,scenario,status,extra_tags,metadata\n';
    const lines = [
      'http_reqs,100,1,validation,200,op=validation&kind=valid,',
      'http_req_duration,100,4.5,validation,200,op=validation&kind=valid,',
      'tokenproof_errors,100,0,validation,,op=validation,',
      'http_reqs,100,1,validation,200,op=validation&kind=forged,',
      'http_req_duration,100,2.5,validation,200,op=validation&kind=forged,',
      'tokenproof_wrongly_accepted,100,1,validation,,op=validation&kind=forged,',
      'tokenproof_errors,100,1,validation,,op=validation,',
      'tokenproof_available,100,1,validation,,op=validation,',
      'tokenproof_available,100,0,validation,,op=validation,',
      'tokenproof_available,100,1,validation,,op=validation,',
    ];
    writeFileSync(file, `${header}${lines.join('\n')}\nhttp_reqs,101,1,validation,5`);
    const reader = new SeriesReader(file);
    reader.poll();
    expect(reader.seconds()).toHaveLength(1);
    writeFileSync(
      file,
      `${header}${lines.join('\n')}\nhttp_reqs,101,1,validation,503,op=validation&kind=valid,\ntokenproof_server_errors,101,1,validation,,op=validation,\n`,
    );
    reader.poll();
    const [first, second] = reader.seconds();
    expect(first).toMatchObject({
      second: 100,
      requests: 2,
      errors: 1,
      outcomes: 2,
      wronglyAccepted: { forged: 1, expired: 0, revoked: 0 },
      legitimate: 3,
      succeeded: 2,
    });
    expect(first?.durations).toEqual([4.5, 2.5]);
    expect(second).toMatchObject({ second: 101, requests: 1, serverErrors: 1, legitimate: 0, succeeded: 0 });
    expect(reader.totals.sentByKind).toEqual({ valid: 2, expired: 0, forged: 1, revoked: 0 });
    expect(reader.totals.samples.get('http_req_duration{op:validation}')).toBe(2);
  });

  it('takes percentiles by nearest rank', () => {
    expect(percentile([], 95)).toBeUndefined();
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        95,
      ),
    ).toBe(95);
  });
});

describe('forged tokens', () => {
  it('edits the claims under the original signature', () => {
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${b64({ alg: 'RS256', kid: 'k1' })}.${b64({ sub: 'alice', scope: 'read' })}.c2lnbmF0dXJl`;
    const [header, payload, signature] = forgeUnderOriginalSignature(token).split('.');
    expect(header).toBe(token.split('.')[0]);
    expect(signature).toBe('c2lnbmF0dXJl');
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({ sub: 'alice-forged', scope: 'read write admin' });
    expect(forgeUnderOriginalSignature('opaque-token-value-1234567890')).not.toBe('opaque-token-value-1234567890');
  });
});

describe('capacity search', () => {
  const step = (rate: number, capacity: number, generatorCeiling = Infinity): CapacityStep => ({
    rate,
    achievedRate: Math.min(rate, capacity),
    p95Ms: rate <= capacity ? 5 : 500,
    ok: rate <= capacity && rate < generatorCeiling,
    failed: rate <= capacity ? [] : ['validationP95 p95 500 ms'],
    generatorLimited: rate >= generatorCeiling,
  });

  it('doubles until a step fails, then bisects to the highest rate that meets every SLO', async () => {
    const result = await searchCapacity({ startRate: 50, budgetMs: 1e9, stepDurationMs: 1 }, async (rate) => step(rate, 730));
    expect(result.curve.map((s) => s.rate).slice(0, 6)).toEqual([50, 100, 200, 400, 800, 600]);
    expect(result.highestRate).toBeGreaterThanOrEqual(660);
    expect(result.highestRate).toBeLessThanOrEqual(730);
    expect(result.stoppedBecause).toMatch(/bracketed between/);
  });

  it('stops within its time budget', async () => {
    let clock = 0;
    const result = await searchCapacity(
      { startRate: 10, budgetMs: 35, stepDurationMs: 10 },
      async (rate) => {
        clock += 10;
        return step(rate, 1e6);
      },
      () => clock,
    );
    expect(result.curve.length).toBeLessThanOrEqual(3);
    expect(result.stoppedBecause).toMatch(/time budget/);
  });

  it('says when the generator, not the target, ends the search', async () => {
    const result = await searchCapacity({ startRate: 100, budgetMs: 1e9, stepDurationMs: 1 }, async (rate) =>
      step(rate, 1e6, 400),
    );
    expect(result.highestRate).toBe(200);
    expect(result.stoppedBecause).toMatch(/the generator could not keep 400\/s/);
  });

  it('reports 0 when even the lowest rate fails', async () => {
    const result = await searchCapacity({ startRate: 4, budgetMs: 1e9, stepDurationMs: 1 }, async (rate) => step(rate, 0));
    expect(result.highestRate).toBe(0);
    expect(result.stoppedBecause).toMatch(/even 1\/s/);
  });
});

describe('baseline', () => {
  const before = { scenario: 'validation', achievedRate: 100, latency: { validation: { p95: 10 } } };

  it('fails on a p95 regression or a throughput drop beyond the tolerance', () => {
    expect(compareWithBaseline({ ...before, latency: { validation: { p95: 10.9 } } }, before, 10).every((v) => v.ok)).toBe(true);
    const slower = compareWithBaseline({ ...before, latency: { validation: { p95: 12 } } }, before, 10);
    expect(slower.find((v) => v.name === 'baseline validation p95')).toMatchObject({ ok: false, observed: '12.00 ms (+20.0 %)' });
    const fewer = compareWithBaseline({ ...before, achievedRate: 85 }, before, 10);
    expect(fewer.find((v) => v.name === 'baseline throughput')?.ok).toBe(false);
  });

  it('reads the load figures of a report.json and refuses a report without them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenproof-baseline-'));
    writeFileSync(join(dir, 'good.json'), JSON.stringify({ phases: [{ name: 'load', details: { load: before } }] }));
    writeFileSync(join(dir, 'none.json'), JSON.stringify({ phases: [{ name: 'conformance' }] }));
    expect(readBaseline(join(dir, 'good.json'))).toEqual(before);
    expect(() => readBaseline(join(dir, 'none.json'))).toThrow(/has no load phase results/);
    expect(() => readBaseline(join(dir, 'missing.json'))).toThrow(/cannot read it/);
  });
});

describe("k6's messages", () => {
  it("keeps k6's error lines for the environment error", () => {
    const output = 'time="x" level=error msg="GoError: open /nope: no such file or directory"\nmore\n';
    expect(k6Message(output)).toBe('GoError: open /nope: no such file or directory');
    expect(k6Message('a\nb\nc\nd\n')).toBe('b | c | d');
  });
});
