import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentError } from '../../harness/lib/errors.ts';
import { prometheusReporter, toPrometheusText } from '../../harness/reporting/prometheus.ts';
import { fixtureRunResult, fixtureWithExpectations } from '../fixtures/run-result.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokenproof-prom-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A Pushgateway stand-in on 127.0.0.1 that records what arrives and answers with `status`. */
async function startPushgateway(status = 200) {
  const received: { method: string; url: string; contentType: string | undefined; body: string }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', contentType: request.headers['content-type'], body });
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(status === 200 ? '' : 'pushgateway says no');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((label) => present.includes(label)) && present.length === wanted.length) return Number(match[3]);
  }
  return undefined;
}

describe('metrics.prom', () => {
  it('exposes the run, checks by outcome, check durations and SLO verdicts', async () => {
    const text = await toPrometheusText(fixtureRunResult());
    expect(text).toContain('# TYPE tokenproof_checks_total counter');
    expect(sample(text, 'tokenproof_checks_total', { outcome: 'fail', suite: 'refresh', level: 'MUST' })).toBe(1);
    expect(sample(text, 'tokenproof_checks_total', { outcome: 'pass', suite: 'rs-claims', level: 'MUST' })).toBe(3);
    expect(sample(text, 'tokenproof_checks_total', { outcome: 'warn', suite: 'rs-claims', level: 'SHOULD' })).toBe(1);
    // Zeros are present, so an alert on outcome="fail" sees 0 rather than no series.
    expect(sample(text, 'tokenproof_checks_total', { outcome: 'fail', suite: 'discovery', level: 'MUST' })).toBe(0);
    expect(sample(text, 'tokenproof_check_duration_seconds', { id: 'rs-claims.removed-key', suite: 'rs-claims' })).toBeCloseTo(
      5.0032,
    );
    expect(sample(text, 'tokenproof_slo_ok', { name: 'issuanceP95' })).toBe(0);
    expect(sample(text, 'tokenproof_slo_ok', { name: 'revocationPropagation' })).toBe(1);
    expect(sample(text, 'tokenproof_run_duration_seconds')).toBeCloseTo(64.212);
    expect(sample(text, 'tokenproof_run_ok')).toBe(0);
    expect(sample(text, 'tokenproof_run_start_timestamp_seconds')).toBe(Date.parse('2026-01-01T09:00:00Z') / 1000);
    expect(
      sample(text, 'tokenproof_run_info', { version: '0.1.0', target: 'acme-idp', run_id: '2026-01-01T09-00-00Z-7f3a' }),
    ).toBe(1);
  });

  it('keeps counts per outcome and adds how many were expected, and the fixed entries', async () => {
    const text = await toPrometheusText(fixtureWithExpectations());
    expect(sample(text, 'tokenproof_checks_total', { outcome: 'fail', suite: 'refresh', level: 'MUST' })).toBe(1);
    expect(sample(text, 'tokenproof_checks_expected_total', { outcome: 'fail', suite: 'refresh', level: 'MUST' })).toBe(1);
    expect(sample(text, 'tokenproof_checks_expected_total', { outcome: 'warn', suite: 'rs-claims', level: 'SHOULD' })).toBe(1);
    expect(sample(text, 'tokenproof_checks_expected_total', { outcome: 'fail', suite: 'rs-claims', level: 'MUST' })).toBe(0);
    expect(sample(text, 'tokenproof_expectations_fixed')).toBe(1);
    expect(sample(text, 'tokenproof_run_ok')).toBe(0);
    const passing = await toPrometheusText(fixtureWithExpectations({ onlyExpectedFailures: true }));
    expect(sample(passing, 'tokenproof_run_ok')).toBe(1);
    // Without --expect: no expected series beyond the empty metric, no fixed entries.
    const plain = await toPrometheusText(fixtureRunResult());
    expect(
      sample(plain, 'tokenproof_checks_expected_total', { outcome: 'fail', suite: 'refresh', level: 'MUST' }),
    ).toBeUndefined();
    expect(sample(plain, 'tokenproof_expectations_fixed')).toBe(0);
  });

  it('starts from a fresh registry every time (no counts carried over between runs)', async () => {
    const first = await toPrometheusText(fixtureRunResult());
    const second = await toPrometheusText(fixtureRunResult());
    expect(second).toBe(first);
  });

  it('writes metrics.prom', async () => {
    const [file] = await prometheusReporter().onEnd(fixtureRunResult(), dir);
    expect(file).toBe(join(dir, 'metrics.prom'));
    expect(await readFile(file!, 'utf8')).toBe(await toPrometheusText(fixtureRunResult()));
  });

  it('pushes the same metrics to a Pushgateway under job tokenproof', async () => {
    const gateway = await startPushgateway();
    try {
      await prometheusReporter({ pushgateway: gateway.url, grouping: { target: 'acme-idp' } }).onEnd(fixtureRunResult(), dir);
      expect(gateway.received).toHaveLength(1);
      const [push] = gateway.received;
      expect(push?.method).toBe('PUT');
      expect(push?.url).toBe('/metrics/job/tokenproof/target/acme-idp');
      expect(push?.body).toBe(await readFile(join(dir, 'metrics.prom'), 'utf8'));
      expect(sample(push!.body, 'tokenproof_checks_total', { outcome: 'error', suite: 'rs-claims', level: 'MUST' })).toBe(1);
    } finally {
      await gateway.close();
    }
  });

  it('fails with an environment error when the push is refused, after writing the file', async () => {
    const gateway = await startPushgateway(500);
    try {
      const push = prometheusReporter({ pushgateway: gateway.url }).onEnd(fixtureRunResult(), dir);
      await expect(push).rejects.toBeInstanceOf(EnvironmentError);
      await expect(push).rejects.toThrow(/Pushgateway at http:\/\/127\.0\.0\.1:\d+ failed: push failed with status 500/);
      expect(gateway.received[0]?.url).toBe('/metrics/job/tokenproof');
      expect(await readFile(join(dir, 'metrics.prom'), 'utf8')).toContain('tokenproof_run_ok 0');
    } finally {
      await gateway.close();
    }
  });
});
