/**
 * The links this file proves on one embedded chaos stack (real toxiproxy, k6, reference servers):
 * - `token` (load clients → issuer): an IdP outage for issuance is what the k6 clients see (their
 *   token calls fail in the fault window and only there), the pool is minted straight, and the
 *   link is healthy again afterwards;
 * - V08's issuer-trusting RS behind its own `jwks` and `revocation-events` links, so the
 *   revocation-during-events-outage game day judges it: a revocation made while its event stream
 *   is cut reaches it only after the outage (the fault really sits in front of it), and within
 *   slo.revocationPropagation of the issuer coming back.
 */
import { describe, expect, it } from 'vitest';
import type { PhaseStats } from '../../harness/faults/resilience.ts';
import { expectIssuanceOutage, expectSlosHeld, explain, outcomes, runGameday, sharedChaosStack } from './run-gameday.ts';

const prepared = sharedChaosStack();

describe('the token link between the load clients and the issuer', () => {
  it('issuance-outage: issuance fails in the outage only, then recovers (C06)', async () => {
    await expectIssuanceOutage(prepared);
  }, 90_000);
});

describe("V08's issuer-trusting RS under revocation during an outage", () => {
  it('learns the revocations only once the issuer is back, within the SLO, and keeps serving (C01, C06, C07)', async () => {
    const output = await runGameday(prepared, 'revocation-during-events-outage');
    const details = output.details?.['chaos'] as {
      resourceServer: string;
      subject: string;
      phases: PhaseStats[];
      links: { name: string; upstream: string }[];
      revocations: { revokedAtMs: number; refusedAtMs?: number; lateAcceptances: number }[];
    };
    const profile = prepared.environment.target.profile;
    expect(details.subject).toBe('propagation');
    expect(details.resourceServer).toBe(profile.propagation?.resourceServers?.[0]);
    expect(details.links.map((link) => link.name).sort()).toEqual(['propagation-events', 'propagation-jwks', 'token']);
    expect(outcomes(output), explain(output)).toMatchObject({ C01: 'pass', C06: 'pass', C07: 'pass' });
    expectSlosHeld(output);
    const outage = details.phases.find((phase) => phase.name === 'outage')!;
    expect(details.revocations).toHaveLength(2);
    for (const revocation of details.revocations) {
      expect(revocation.lateAcceptances).toBe(0);
      // Cut off from the events, it could not have known before the outage ended.
      expect(revocation.refusedAtMs, explain(output)).toBeGreaterThanOrEqual(outage.endMs);
    }
  }, 90_000);
});
