/**
 * The correct reference resource server (JWT mode, trusting the harness test issuer) passes
 * every JWT game day under real k6 load and real toxiproxy faults: IdP outage with a warm JWKS
 * cache, truncated and sliced JWKS, issuer clock skew ±120 s. No proxy or toxic is left after.
 */
import { describe, expect, it } from 'vitest';
import { expectSlosHeld, explain, outcomes, runGameday, sharedChaosStack } from './run-gameday.ts';

const prepared = sharedChaosStack();

async function noFaultsLeft(): Promise<void> {
  const toxiproxy = prepared.environment.chaos!.toxiproxy;
  for (const link of toxiproxy.links.values()) expect(await toxiproxy.state(link)).toMatchObject({ enabled: true, toxics: [] });
}

describe('the reference RS (JWT) under the JWT game days', () => {
  it('idp-outage: keeps serving on its cached keys, refuses what it must, recovers (C01, C06, C07)', async () => {
    const output = await runGameday(prepared, 'idp-outage');
    expect(outcomes(output), explain(output)).toMatchObject({ C01: 'pass', C06: 'pass', C07: 'pass', C02: 'skip' });
    expectSlosHeld(output);
    expect(output.timeline?.faults).toEqual([expect.objectContaining({ name: 'outage: outage on jwks' })]);
    const fault = output.timeline!.faults[0]!;
    expect(fault.endMs - fault.startMs).toBeGreaterThanOrEqual(4900);
    expect(output.timeline?.series.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'chaos idp-outage: throughput',
        'chaos idp-outage: p95 latency',
        'chaos idp-outage: wrongly accepted',
      ]),
    );
    await noFaultsLeft();
  }, 90_000);

  it('truncated-jwks: neither crashes nor accepts unsigned or unknown-key tokens, recovers (C04)', async () => {
    const output = await runGameday(prepared, 'truncated-jwks');
    expect(outcomes(output), explain(output)).toMatchObject({ C04: 'pass', C06: 'pass', C07: 'pass' });
    expectSlosHeld(output);
    await noFaultsLeft();
  }, 90_000);

  it('clock-skew: refuses tokens minted 120 s ahead or behind, accepts fresh ones afterwards (C05)', async () => {
    const output = await runGameday(prepared, 'clock-skew');
    expect(outcomes(output), explain(output)).toMatchObject({ C05: 'pass', C07: 'pass' });
    expectSlosHeld(output);
    const check = output.checks.find((c) => c.catalog === 'C05')!;
    expect(check.reason).toMatch(/after the skew (\d+) of \1 fresh tokens accepted/);
  }, 90_000);
});
