/**
 * C05 judged from synthetic observations (harness/faults/resilience.ts): RFC 7519 §4.1.4/§4.1.5
 * oblige a refusal only past exp or before nbf beyond the leeway, so a game day whose offsets
 * leave every skewed token inside the leeway (long-lived tokens without nbf) is a skip naming
 * the fix, not an error that fails a correct target; inside that rule, an accepted out-of-leeway
 * token fails and refused ones pass.
 */
import { describe, expect, it } from 'vitest';
import { loadGameday } from '../../harness/faults/gameday.ts';
import type { ProbeResult } from '../../harness/faults/probes.ts';
import { type GamedayObservation, resilienceChecks } from '../../harness/faults/resilience.ts';
import { repoRoot } from '../../harness/tools/paths.ts';

const gameday = loadGameday(`${repoRoot}/scenarios/gamedays/clock-skew.yaml`);

function observation(probes: Omit<ProbeResult, 'kind' | 'phase' | 'atMs'>[]): GamedayObservation {
  const windows = gameday.phases.map((phase, index) => ({
    phase,
    startMs: index * 3000,
    endMs: index * 3000 + 3000,
    links: [],
    ...(phase.kind === 'fault' && { label: `${phase.name} skew` }),
  }));
  const ahead = windows.find((window) => window.phase.name === 'ahead')!;
  return {
    gameday,
    subject: 'jwt',
    windows,
    buckets: [],
    runStartWallMs: 0,
    probes: probes.map((probe) => ({ ...probe, kind: 'skewed', phase: 'ahead', atMs: ahead.startMs + 500 })),
    revocations: [],
    revocationPropagationMs: 5000,
    invalidSent: 0,
  } as unknown as GamedayObservation;
}

const c05 = (probes: Omit<ProbeResult, 'kind' | 'phase' | 'atMs'>[]) =>
  resilienceChecks(observation(probes), [], []).find((check) => check.id === 'resilience.clock-skew')!;

describe('C05 (clock skew)', () => {
  it('skips, naming the fix, when no skewed token fell outside the leeway (300 s tokens without nbf at +120 s)', () => {
    const check = c05([{ accepted: true, mustRefuse: false, status: 200, note: 'exp 420 s ahead' }]);
    expect(check.outcome).toBe('skip');
    expect(check.reason).toContain('exp 420 s ahead');
    expect(check.reason).toMatch(/larger clock-skew offset/);
  });

  it('fails when the RS accepts a token outside the leeway', () => {
    const check = c05([{ accepted: true, mustRefuse: true, status: 200, note: 'nbf 120 s ahead of the harness clock' }]);
    expect(check.outcome).toBe('fail');
    expect(check.reason).toMatch(/accepted 1 tokens outside the leeway/);
  });

  it('passes when every token outside the leeway is refused', () => {
    const check = c05([{ accepted: false, mustRefuse: true, status: 401, note: 'nbf 120 s ahead of the harness clock' }]);
    expect(check.outcome).toBe('pass');
  });
});
