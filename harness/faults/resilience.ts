/**
 * Judging a game day (CHECKS.md "resilience", C01-C07): per-phase numbers from the load's
 * per-second buckets (throughput, p95, error rate, availability, wrongly accepted), recovery
 * time after each fault, the SLO verdicts per phase, and one CheckResult per resilience check.
 * A check whose fault is not in the game day is skipped with the reason; a check that examined
 * nothing is an error, never a pass.
 */
import type { SecondBucket } from '../load/series.ts';
import { percentile, wronglyAcceptedIn } from '../load/series.ts';
import type { CheckResult, Level, Outcome, SloVerdict } from '../results/model.ts';
import type { Gameday } from './gameday.ts';
import type { ProbeResult } from './probes.ts';
import type { PhaseWindow, RevocationProbe } from './timeline.ts';

export interface PhaseStats {
  name: string;
  kind: 'baseline' | 'fault' | 'recovery';
  label?: string;
  startMs: number;
  endMs: number;
  seconds: number;
  requests: number;
  throughput: number;
  p95?: number;
  errorRate?: number;
  availability?: number;
  legitimate: number;
  wronglyAccepted: { expired: number; forged: number; revoked: number };
  validRefused: number;
  serverErrors: number;
}

export interface Recovery {
  fault: string;
  faultEndMs: number;
  /** Milliseconds from the fault's end until the success rate stayed at the recovery SLO; undefined: it never did. */
  recoveryMs?: number;
  threshold: number;
}

export interface GamedayObservation {
  gameday: Gameday;
  subject: string;
  windows: PhaseWindow[];
  buckets: SecondBucket[];
  /** Wall-clock ms of the run's start, to place k6's Unix seconds on the run's timeline. */
  runStartWallMs: number;
  probes: ProbeResult[];
  revocations: RevocationProbe[];
  revocationPropagationMs: number;
  invalidSent: number;
}

const defaultAvailability = 0.99;
const pct = (value: number | undefined, digits = 2) => (value === undefined ? '–' : `${(value * 100).toFixed(digits)} %`);
const ms = (value: number | undefined) => (value === undefined ? '–' : `${Math.round(value)} ms`);

function bucketsOf(observation: GamedayObservation, startMs: number, endMs: number): SecondBucket[] {
  return observation.buckets.filter((bucket) => {
    const middle = bucket.second * 1000 - observation.runStartWallMs + 500;
    return middle >= startMs && middle < endMs;
  });
}

function availabilityOf(buckets: SecondBucket[]): { legitimate: number; succeeded: number } {
  let legitimate = 0;
  let succeeded = 0;
  for (const bucket of buckets) {
    legitimate += bucket.legitimate;
    succeeded += bucket.succeeded;
  }
  return { legitimate, succeeded };
}

export function phaseStats(observation: GamedayObservation): PhaseStats[] {
  return observation.windows.map((window) => {
    const buckets = bucketsOf(observation, window.startMs, window.endMs);
    const requests = buckets.reduce((sum, b) => sum + b.requests, 0);
    const outcomes = buckets.reduce((sum, b) => sum + b.outcomes, 0);
    const errors = buckets.reduce((sum, b) => sum + b.errors, 0);
    const { legitimate, succeeded } = availabilityOf(buckets);
    const p95 = percentile(
      buckets.flatMap((b) => b.durations),
      95,
    );
    const wrongly = { expired: 0, forged: 0, revoked: 0 };
    for (const bucket of buckets)
      for (const kind of ['expired', 'forged', 'revoked'] as const) wrongly[kind] += bucket.wronglyAccepted[kind];
    return {
      name: window.phase.name,
      kind: window.phase.kind,
      ...(window.label && { label: window.label }),
      startMs: window.startMs,
      endMs: window.endMs,
      seconds: buckets.length,
      requests,
      throughput: buckets.length > 0 ? requests / buckets.length : 0,
      ...(p95 !== undefined && { p95 }),
      ...(outcomes > 0 && { errorRate: errors / outcomes }),
      ...(legitimate > 0 && { availability: succeeded / legitimate }),
      legitimate,
      wronglyAccepted: wrongly,
      validRefused: buckets.reduce((sum, b) => sum + b.validRefused, 0),
      serverErrors: buckets.reduce((sum, b) => sum + b.serverErrors, 0),
    };
  });
}

/** After each fault: how long until every following second of the recovery stretch is back at the SLO. */
export function recoveries(observation: GamedayObservation): Recovery[] {
  const threshold = observation.gameday.slo.recovery.availability ?? defaultAvailability;
  const result: Recovery[] = [];
  observation.windows.forEach((window, index) => {
    if (window.phase.kind !== 'fault') return;
    const stretch: PhaseWindow[] = [];
    for (const next of observation.windows.slice(index + 1)) {
      if (next.phase.kind !== 'recovery') break;
      stretch.push(next);
    }
    if (stretch.length === 0) return;
    const endMs = stretch[stretch.length - 1]!.endMs;
    const seconds = bucketsOf(observation, window.endMs, endMs).filter((bucket) => bucket.legitimate > 0);
    let recoveredFrom: number | undefined;
    for (let i = seconds.length - 1; i >= 0; i--) {
      const bucket = seconds[i]!;
      if (bucket.succeeded / bucket.legitimate < threshold) break;
      recoveredFrom = i;
    }
    const first = recoveredFrom === undefined ? undefined : seconds[recoveredFrom]!;
    const recoveryMs =
      first === undefined
        ? undefined
        : recoveredFrom === 0
          ? 0
          : Math.max(0, first.second * 1000 - observation.runStartWallMs - window.endMs);
    result.push({
      fault: window.phase.name,
      faultEndMs: window.endMs,
      threshold,
      ...(recoveryMs !== undefined && { recoveryMs }),
    });
  });
  return result;
}

export function sloVerdicts(observation: GamedayObservation, stats: PhaseStats[], recovered: Recovery[]): SloVerdict[] {
  const verdicts: SloVerdict[] = [];
  const name = (phase: string, what: string) => `chaos ${observation.gameday.name}/${phase} ${what}`;
  for (const phase of stats) {
    const slo = observation.gameday.slo[phase.kind];
    if (slo.availability !== undefined)
      verdicts.push({
        name: name(phase.name, 'availability'),
        threshold: `≥ ${pct(slo.availability)}`,
        observed: phase.availability === undefined ? 'no legitimate request in the phase' : pct(phase.availability),
        ok: phase.availability !== undefined && phase.availability >= slo.availability,
      });
    if (slo.p95 !== undefined)
      verdicts.push({
        name: name(phase.name, 'p95'),
        threshold: `≤ ${ms(slo.p95)}`,
        observed: phase.p95 === undefined ? 'no request in the phase' : ms(phase.p95),
        ok: phase.p95 !== undefined && phase.p95 <= slo.p95,
      });
    if (slo.errorRate !== undefined)
      verdicts.push({
        name: name(phase.name, 'error rate'),
        threshold: `≤ ${pct(slo.errorRate)}`,
        observed: phase.errorRate === undefined ? 'no request in the phase' : pct(phase.errorRate),
        ok: phase.errorRate !== undefined && phase.errorRate <= slo.errorRate,
      });
  }
  for (const recovery of recovered)
    verdicts.push({
      name: name(recovery.fault, 'recovery time'),
      threshold: `≤ ${ms(observation.gameday.slo.recoveryTime)}`,
      observed: recovery.recoveryMs === undefined ? 'not recovered within the recovery phase' : ms(recovery.recoveryMs),
      ok: recovery.recoveryMs !== undefined && recovery.recoveryMs <= observation.gameday.slo.recoveryTime,
    });
  return verdicts;
}

interface Verdict {
  outcome: Outcome;
  reason: string;
  notes?: string[];
}

const checkInfo: Record<string, { id: string; title: string; spec: string[]; level: Level }> = {
  C01: {
    id: 'resilience.outage-warm-jwks',
    title: 'IdP outage with a warm JWKS cache: valid tokens keep working, expired and forged ones are still refused',
    spec: ['RFC7517-5', 'RFC8725-3.1', 'RFC6750-3.1'],
    level: 'MUST',
  },
  C02: {
    id: 'resilience.introspection-fails-closed',
    title: 'IdP outage with an introspection-based RS: no token is accepted without an answer (fail closed)',
    spec: ['RFC7662-2.2', 'RFC7662-4'],
    level: 'MUST',
  },
  C03: {
    id: 'resilience.introspection-latency',
    title: 'Introspection latency: the RS p95 stays within the SLO (cache) and a revoked token is still refused in time',
    spec: ['RFC7662-4', 'RFC7009-2'],
    level: 'MUST',
  },
  C04: {
    id: 'resilience.broken-jwks',
    title: 'Truncated or slow JWKS: the RS neither crashes nor accepts unsigned tokens, and recovers',
    spec: ['RFC8725-3.1', 'RFC7515-5.2'],
    level: 'MUST',
  },
  C05: {
    id: 'resilience.clock-skew',
    title: 'Issuer clock skew: tokens outside the leeway are refused, and the RS recovers',
    spec: ['RFC7519-4.1.4', 'RFC7519-4.1.5'],
    level: 'MUST',
  },
  C06: {
    id: 'resilience.recovery',
    title: 'Recovery: after the fault window the success rate returns to baseline within the declared recovery time',
    spec: [],
    level: 'MUST',
  },
  C07: {
    id: 'resilience.nothing-wrongly-accepted',
    title: 'Nothing wrongly accepted during any fault (revoked, expired, forged, unsigned, beyond leeway)',
    spec: ['RFC6750-3.1', 'RFC7009-2', 'RFC7519-4.1.4', 'RFC8725-3.1'],
    level: 'MUST',
  },
};

function check(code: keyof typeof checkInfo, verdict: Verdict): CheckResult {
  const info = checkInfo[code]!;
  return {
    id: info.id,
    suite: 'resilience',
    title: info.title,
    level: info.level,
    outcome: verdict.outcome,
    reason: verdict.reason,
    spec: info.spec,
    durationMs: 0,
    evidence: { exchanges: [], notes: verdict.notes ?? [] },
    catalog: code,
    phase: 'chaos',
  };
}

const faultKind = (window: PhaseWindow) => window.phase.fault?.kind;
const probesIn = (observation: GamedayObservation, window: PhaseWindow) =>
  observation.probes.filter((probe) => probe.phase === window.phase.name);
const describeProbe = (probe: ProbeResult) =>
  `${probe.kind} at ${probe.atMs} ms: ${probe.status !== undefined ? `HTTP ${probe.status}` : `no answer (${probe.error})`}${probe.note ? ` (${probe.note})` : ''}`;

export function resilienceChecks(observation: GamedayObservation, stats: PhaseStats[], recovered: Recovery[]): CheckResult[] {
  const { gameday } = observation;
  const statsOf = (window: PhaseWindow) => stats.find((s) => s.name === window.phase.name)!;
  const faults = observation.windows.filter((window) => window.phase.kind === 'fault');
  const on = (link: string, kinds: string[]) =>
    faults.filter((w) => w.links.includes(link as never) && kinds.includes(faultKind(w) ?? ''));
  const skip = (what: string): Verdict => ({ outcome: 'skip', reason: `the ${gameday.name} game day has no ${what}` });
  const results: CheckResult[] = [];

  // C01
  const outages = on('jwks', ['idp-outage', 'idp-hang']);
  results.push(
    check(
      'C01',
      outages.length === 0
        ? skip('outage or hang on the jwks link')
        : judgeAll(outages, (window) => {
            const phase = statsOf(window);
            const floor = gameday.slo.fault.availability ?? defaultAvailability;
            const wrongly = phase.wronglyAccepted.expired + phase.wronglyAccepted.forged;
            const badProbes = probesIn(observation, window).filter((p) => p.mustRefuse && p.accepted);
            if (phase.availability === undefined)
              return { outcome: 'error', reason: `no legitimate request completed during ${window.phase.name}` };
            const line = `${window.phase.name} (${window.label}): ${pct(phase.availability)} of ${phase.legitimate} valid requests served (floor ${pct(floor)}), ${wrongly} expired/forged accepted, ${badProbes.length} unsigned/unknown-key probes accepted`;
            if (phase.availability < floor)
              return {
                outcome: 'fail',
                reason: `valid tokens stopped working while the issuer was away: ${line}; a warm key cache must keep verifying (the RS dropped or could not use its cached keys)`,
              };
            if (wrongly > 0 || badProbes.length > 0)
              return { outcome: 'fail', reason: `the RS accepted tokens it must refuse during the outage: ${line}` };
            return { outcome: 'pass', reason: line };
          }),
    ),
  );

  // C02
  const unanswerable = on('introspection', ['idp-outage', 'idp-hang', 'reset-peer', 'truncate']);
  results.push(
    check(
      'C02',
      unanswerable.length === 0
        ? skip('outage or hang on the introspection link')
        : judgeAll(unanswerable, (window) => {
            const phase = statsOf(window);
            const probes = probesIn(observation, window).filter(
              (p) => p.kind === 'unseen-opaque' || p.kind === 'fresh-valid-unanswerable',
            );
            if (probes.length === 0)
              return {
                outcome: 'error',
                reason: `no token unknown to the RS was presented during ${window.phase.name}: nothing to judge`,
              };
            const open = probes.filter((p) => p.accepted);
            const wrongly = wronglyAcceptedIn(phase);
            const line = `${window.phase.name} (${window.label}): ${open.length} of ${probes.length} tokens the RS could not check were accepted, ${wrongly} invalid pool tokens accepted; error rate ${pct(phase.errorRate)}`;
            return {
              outcome: open.length > 0 || wrongly > 0 ? 'fail' : 'pass',
              reason: open.length > 0 ? `the RS fails open: ${line}` : line,
              notes: open.slice(0, 5).map(describeProbe),
            };
          }),
    ),
  );

  // C03
  const slow = on('introspection', ['latency', 'slicer', 'bandwidth']);
  results.push(
    check(
      'C03',
      slow.length === 0
        ? skip('latency on the introspection link')
        : judgeAll(slow, (window) => {
            const phase = statsOf(window);
            const limit = gameday.slo.fault.p95;
            if (limit === undefined)
              return { outcome: 'error', reason: 'the game day sets no slo.fault.p95 to judge the latency against' };
            if (phase.p95 === undefined) return { outcome: 'error', reason: `no request completed during ${window.phase.name}` };
            const revoked = observation.revocations.filter((r) => r.phase === window.phase.name);
            const late = revoked.filter(
              (r) => r.refusedAtMs === undefined || r.refusedAtMs - r.learnableAtMs > observation.revocationPropagationMs,
            );
            const revocationLine = revoked.length
              ? `; ${revoked.length - late.length} of ${revoked.length} tokens revoked in the phase refused within ${ms(observation.revocationPropagationMs)} (${revoked.map((r) => (r.refusedAtMs === undefined ? 'never' : ms(r.refusedAtMs - r.revokedAtMs))).join(', ')})`
              : '';
            const line = `${window.phase.name} (${window.label}): p95 ${ms(phase.p95)} (SLO ${ms(limit)})${revocationLine}`;
            if (phase.p95 > limit)
              return {
                outcome: 'fail',
                reason: `the RS p95 breached the SLO under introspection latency (no or too small introspection cache?): ${line}`,
              };
            if (late.length > 0) return { outcome: 'fail', reason: `a revoked token was not refused in time: ${line}` };
            return { outcome: 'pass', reason: line };
          }),
    ),
  );

  // C04
  const broken = on('jwks', ['truncate', 'slicer', 'bandwidth', 'reset-peer']);
  results.push(
    check(
      'C04',
      broken.length === 0
        ? skip('truncated or slow JWKS (truncate, slicer, bandwidth, reset-peer on the jwks link)')
        : judgeAll(broken, (window) => {
            const phase = statsOf(window);
            const probes = probesIn(observation, window);
            if (probes.length === 0)
              return { outcome: 'error', reason: `no probe token was presented during ${window.phase.name}` };
            const accepted = probes.filter((p) => p.accepted);
            const crashed = probes.filter((p) => p.error !== undefined || (p.status ?? 0) >= 500);
            const line = `${window.phase.name} (${window.label}): ${probes.length} unsigned/unknown-key probes, ${accepted.length} accepted, ${crashed.length} without an answer or 5xx; load: ${phase.serverErrors} 5xx`;
            if (accepted.length > 0)
              return {
                outcome: 'fail',
                reason: `the RS accepted an unsigned or unknown-key token: ${line}`,
                notes: accepted.slice(0, 5).map(describeProbe),
              };
            if (crashed.length > 0 || phase.serverErrors > 0)
              return {
                outcome: 'fail',
                reason: `the RS crashed or failed with 5xx: ${line}`,
                notes: crashed.slice(0, 5).map(describeProbe),
              };
            return { outcome: 'pass', reason: line };
          }),
    ),
  );

  // C05
  const skews = faults.filter((w) => faultKind(w) === 'clock-skew');
  if (skews.length === 0) results.push(check('C05', skip('clock-skew phase')));
  else {
    const lines: string[] = [];
    let outside = 0;
    let outsideAccepted = 0;
    for (const window of skews) {
      const probes = probesIn(observation, window).filter((p) => p.kind === 'skewed');
      const must = probes.filter((p) => p.mustRefuse);
      outside += must.length;
      outsideAccepted += must.filter((p) => p.accepted).length;
      lines.push(
        `${window.phase.name} (${window.label}): ${probes.length} fresh tokens, ${probes.filter((p) => p.accepted).length} accepted, ${must.length} outside the ${ms(gameday.leeway)} leeway of which ${must.filter((p) => p.accepted).length} accepted${probes[0]?.note ? ` (first: ${probes[0].note})` : ''}`,
      );
    }
    const after = observation.probes.filter((p) => p.kind === 'skew-recovered');
    const recoveredLine = after.length
      ? `; after the skew ${after.filter((p) => p.accepted).length} of ${after.length} fresh tokens accepted`
      : '';
    results.push(
      check(
        'C05',
        outside === 0
          ? // RFC 7519 §4.1.4/§4.1.5 oblige a refusal only past exp or before nbf (beyond the leeway); an
            // iat in the future obliges nothing. An offset that moved neither outside the leeway (long-lived
            // tokens without nbf) leaves C05 nothing to judge here: a skip naming the fix, not a verdict.
            {
              outcome: 'skip',
              reason: `the ${gameday.name} game day's offsets put no token's nbf or exp outside the ${ms(gameday.leeway)} leeway (${lines.join('; ')}): nothing to judge; for tokens without nbf the offset must exceed their lifetime plus the leeway, so copy the game day with a larger clock-skew offset`,
            }
          : {
              outcome: outsideAccepted > 0 ? 'fail' : 'pass',
              reason: `${outsideAccepted > 0 ? `the RS accepted ${outsideAccepted} tokens outside the leeway: ` : ''}${lines.join('; ')}${recoveredLine}`,
            },
      ),
    );
  }

  // C06
  results.push(
    check(
      'C06',
      recovered.length === 0
        ? skip('recovery phase after a fault')
        : (() => {
            const slow = recovered.filter((r) => r.recoveryMs === undefined || r.recoveryMs > gameday.slo.recoveryTime);
            const line = recovered
              .map(
                (r) =>
                  `after ${r.fault}: ${r.recoveryMs === undefined ? 'never back' : `back in ${ms(r.recoveryMs)}`} (≥ ${pct(r.threshold)} per second)`,
              )
              .join('; ');
            return {
              outcome: slow.length > 0 ? 'fail' : 'pass',
              reason: `${slow.length > 0 ? `the success rate did not return within ${ms(gameday.slo.recoveryTime)}: ` : ''}${line}`,
            };
          })(),
    ),
  );

  // C07
  const loadWrong = stats.reduce(
    (sum, s) => sum + s.wronglyAccepted.expired + s.wronglyAccepted.forged + s.wronglyAccepted.revoked,
    0,
  );
  const probeWrong = observation.probes.filter((p) => p.mustRefuse && p.accepted);
  const lateRevoked = observation.revocations.reduce((sum, r) => sum + r.lateAcceptances, 0);
  const examined =
    observation.invalidSent + observation.probes.filter((p) => p.mustRefuse).length + observation.revocations.length;
  const perPhase = stats
    .map((s) => `${s.name} ${s.wronglyAccepted.expired + s.wronglyAccepted.forged + s.wronglyAccepted.revoked}`)
    .join(', ');
  const total = loadWrong + probeWrong.length + lateRevoked;
  results.push(
    check(
      'C07',
      examined === 0
        ? { outcome: 'skip', reason: 'no revoked, expired or forged token was presented during the game day' }
        : {
            outcome: total > 0 ? 'fail' : 'pass',
            reason: `${total} wrongly accepted: ${loadWrong} of ${observation.invalidSent} invalid pool tokens (per phase: ${perPhase}), ${probeWrong.length} probe tokens, ${lateRevoked} acceptances of revoked tokens past ${ms(observation.revocationPropagationMs)}`,
            notes: probeWrong.slice(0, 5).map(describeProbe),
          },
    ),
  );
  return results;
}

function judgeAll(windows: PhaseWindow[], judge: (window: PhaseWindow) => Verdict): Verdict {
  const verdicts = windows.map(judge);
  const worst =
    (['error', 'fail', 'warn', 'pass', 'skip'] as Outcome[]).find((outcome) => verdicts.some((v) => v.outcome === outcome)) ??
    'error';
  const chosen = verdicts.filter((v) => v.outcome === worst);
  return {
    outcome: worst,
    reason: chosen.map((v) => v.reason).join('; '),
    notes: verdicts.flatMap((v) => v.notes ?? []),
  };
}
