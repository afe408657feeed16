/**
 * V08's resource server (JWT mode, trusts the reference issuer, profile.propagation) sits behind
 * toxiproxy in a chaos run: its JWKS and revocation events go through links of its own, so the
 * revocation-during-events-outage game day judges it. A revocation made while its event stream is
 * cut reaches it only after the outage (proof that the fault really sits in front of it), and
 * within slo.revocationPropagation of the issuer coming back; real toxiproxy, k6 and servers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedEnvironment } from '../../harness/engine/environment.ts';
import type { PhaseStats } from '../../harness/faults/resilience.ts';
import { chaosEnvironment, explain, outcomes, runGameday } from './run-gameday.ts';

let prepared: { environment: PreparedEnvironment; runDir: string };

beforeAll(async () => {
  prepared = await chaosEnvironment();
}, 120_000);

afterAll(async () => {
  await prepared?.environment.stop();
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
    expect(
      output.slo?.every((slo) => slo.ok),
      explain(output),
    ).toBe(true);
    const outage = details.phases.find((phase) => phase.name === 'outage')!;
    expect(details.revocations).toHaveLength(2);
    for (const revocation of details.revocations) {
      expect(revocation.lateAcceptances).toBe(0);
      // Cut off from the events, it could not have known before the outage ended.
      expect(revocation.refusedAtMs, explain(output)).toBeGreaterThanOrEqual(outage.endMs);
    }
  }, 90_000);
});
