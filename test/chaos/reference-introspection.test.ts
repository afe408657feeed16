/**
 * The correct reference resource server in introspection mode (against the reference issuer,
 * introspection and revocation events through toxiproxy) passes every introspection game day
 * under real k6 load: 500 ms introspection latency, an IdP hang, revocation during an outage.
 */
import { describe, expect, it } from 'vitest';
import { expectSlosHeld, explain, outcomes, runGameday, sharedChaosStack } from './run-gameday.ts';

const prepared = sharedChaosStack();

describe('the reference RS (introspection) under the introspection game days', () => {
  it('introspection-latency: p95 within the SLO thanks to its cache, the revoked token refused in time (C03)', async () => {
    const output = await runGameday(prepared, 'introspection-latency');
    expect(outcomes(output), explain(output)).toMatchObject({ C03: 'pass', C06: 'pass', C07: 'pass' });
    expectSlosHeld(output);
    const details = output.details?.['chaos'] as { revocations: { refusedAtMs?: number }[] };
    expect(details.revocations).toHaveLength(1);
    expect(details.revocations[0]?.refusedAtMs).toBeDefined();
  }, 120_000);

  it('idp-hang: fails closed for tokens it cannot check, serves cached ones, recovers (C02, C06)', async () => {
    const output = await runGameday(prepared, 'idp-hang');
    expect(outcomes(output), explain(output)).toMatchObject({ C02: 'pass', C06: 'pass', C07: 'pass' });
    expectSlosHeld(output);
  }, 90_000);

  it('revocation-during-outage: refuses the tokens revoked while the issuer was away once it is back (C02, C07)', async () => {
    const output = await runGameday(prepared, 'revocation-during-outage');
    expect(outcomes(output), explain(output)).toMatchObject({ C02: 'pass', C06: 'pass', C07: 'pass' });
    expectSlosHeld(output);
    const details = output.details?.['chaos'] as { revocations: { refusedAtMs?: number; lateAcceptances: number }[] };
    expect(details.revocations).toHaveLength(2);
    for (const revocation of details.revocations)
      expect(revocation).toMatchObject({ lateAcceptances: 0, refusedAtMs: expect.any(Number) });
  }, 90_000);
});
