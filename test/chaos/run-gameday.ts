/**
 * Shared by the chaos tests: one embedded stack prepared for chaos per test file
 * (`sharedChaosStack`: real toxiproxy, real reference servers), a game day run in-process through
 * the chaos phase against it, with the subject optionally replaced by a (flawed) resource server
 * of the test's own (`gamedayAgainst`, `flawFailsCheck`).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chaosPhase } from '../../harness/engine/chaos.ts';
import { type PreparedEnvironment, prepareEnvironment } from '../../harness/engine/environment.ts';
import type { PhaseOutput } from '../../harness/engine/phase.ts';
import type { ChaosSubject, SubjectName } from '../../harness/faults/chaos-environment.ts';
import { loadGameday } from '../../harness/faults/gameday.ts';
import type { PhaseStats } from '../../harness/faults/resilience.ts';
import { Redactor } from '../../harness/lib/redactor.ts';
import { runFailed } from '../../harness/results/model.ts';
import { repoRoot } from '../../harness/tools/paths.ts';
import { type ChaosFlaw, startFlawedChaosRs, subjectOfFlaw } from '../support/flawed-chaos-rs.ts';

export interface ChaosStack {
  environment: PreparedEnvironment;
  runDir: string;
}

export async function chaosEnvironment(): Promise<ChaosStack> {
  const runDir = mkdtempSync(join(tmpdir(), 'tokenproof-chaos-test-'));
  const environment = await prepareEnvironment({ runDir, redactor: new Redactor(), chaos: {} });
  return { environment, runDir };
}

/** The test file's one chaos stack: prepared in its beforeAll, stopped in its afterAll (filled in by then). */
export function sharedChaosStack(): ChaosStack {
  const stack = {} as ChaosStack;
  beforeAll(async () => {
    Object.assign(stack, await chaosEnvironment());
  }, 120_000);
  afterAll(async () => {
    await stack.environment?.stop();
  });
  return stack;
}

export function gamedayFile(name: string): string {
  return join(repoRoot, 'scenarios', 'gamedays', `${name}.yaml`);
}

export async function runGameday(prepared: ChaosStack, name: string, subject?: ChaosSubject): Promise<PhaseOutput> {
  const gameday = loadGameday(gamedayFile(name));
  const chaos = prepared.environment.chaos!;
  const environment: PreparedEnvironment = subject
    ? { ...prepared.environment, chaos: { ...chaos, subjects: { ...chaos.subjects, [subject.name]: async () => subject } } }
    : prepared.environment;
  return chaosPhase({ gameday }).run({
    environment,
    reporters: [],
    redactor: new Redactor(),
    runDir: prepared.runDir,
    runStartedAt: performance.now(),
    log: () => undefined,
    signal: new AbortController().signal,
  });
}

export function outcomes(output: PhaseOutput): Record<string, string> {
  return Object.fromEntries(output.checks.map((check) => [check.catalog ?? check.id, check.outcome]));
}

/** For a failed expectation: every check with its reason, and every SLO verdict. */
export function explain(output: PhaseOutput): string {
  return [
    ...output.checks.map((check) => `${check.catalog} ${check.outcome}: ${check.reason}`),
    ...(output.slo ?? []).map((slo) => `${slo.ok ? 'ok' : 'BREACHED'} ${slo.name}: ${slo.observed} (${slo.threshold})`),
  ].join('\n');
}

/** A game day against a flawed RS (or, with flaw undefined, the same in-process RS without a flaw) in place of the subject. */
export async function gamedayAgainst(
  prepared: ChaosStack,
  flaw: ChaosFlaw | undefined,
  subject: SubjectName,
  gameday: string,
): Promise<PhaseOutput> {
  const rs = await startFlawedChaosRs(prepared.environment.chaos!, subject, flaw, {
    secondarySecret: prepared.environment.credentials!['TOKENPROOF_SECONDARY_SECRET']!,
    jwksUri: prepared.environment.testIssuer!.jwksUri,
  });
  try {
    return await runGameday(prepared, gameday, rs.subject);
  } finally {
    await rs.close();
  }
}

/** Every SLO verdict of the game day held. */
export function expectSlosHeld(output: PhaseOutput): void {
  expect(
    output.slo?.every((slo) => slo.ok),
    explain(output),
  ).toBe(true);
}

/** One test per [flaw, game day, check]: the flawed RS fails that check, and so the run. */
export function flawFailsCheck(stack: ChaosStack, cases: [ChaosFlaw, string, string][]): void {
  for (const [flaw, gameday, code] of cases) {
    it(`${flaw}: ${gameday} fails ${code}`, async () => {
      const output = await gamedayAgainst(stack, flaw, subjectOfFlaw[flaw], gameday);
      expect(outcomes(output)[code], explain(output)).toBe('fail');
      expect(runFailed({ checks: output.checks, slo: output.slo ?? [] })).toBe(true);
    }, 90_000);
  }
}

/**
 * The issuance-outage game day through the `token` link (embedded or containers): issuance is
 * healthy at baseline, fails in the outage only, recovers (C06); the link's upstream is the issuer
 * and it is enabled without toxics afterwards.
 */
export async function expectIssuanceOutage(stack: ChaosStack): Promise<PhaseOutput> {
  const output = await runGameday(stack, 'issuance-outage');
  const details = output.details?.['chaos'] as {
    phases: PhaseStats[];
    links: { name: string; listen: string; upstream: string }[];
    notes: string[];
  };
  const byName = Object.fromEntries(details.phases.map((phase) => [phase.name, phase]));
  expect(byName['baseline']?.availability, explain(output)).toBeGreaterThanOrEqual(0.99);
  expect(byName['outage']?.legitimate, explain(output)).toBeGreaterThan(0);
  expect(byName['outage']?.availability, explain(output)).toBeLessThan(0.3);
  expect(byName['recovery']?.availability, explain(output)).toBeGreaterThanOrEqual(0.9);
  expect(outcomes(output), explain(output)).toMatchObject({ C06: 'pass' });
  const token = details.links.find((link) => link.name === 'token');
  expect(token?.upstream).toBe(new URL(stack.environment.target.profile.issuer!.url).origin);
  expect(token?.listen).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(details.notes.some((note) => note.includes('through the token link'))).toBe(true);
  const chaos = stack.environment.chaos!;
  expect(await chaos.toxiproxy.state(chaos.toxiproxy.links.get('token')!)).toMatchObject({ enabled: true, toxics: [] });
  return output;
}
