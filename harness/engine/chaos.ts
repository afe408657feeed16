/**
 * The chaos phase (DESIGN.md "Faults"): one game day (harness/faults/gameday.ts) against the
 * prepared environment. The load engineer's k6 runner drives the game day's scenario against
 * the subject resource server while the timeline applies and removes real toxiproxy faults and
 * clock skew; then the per-phase SLOs, the recovery times and the resilience checks C01-C07
 * are judged from k6's per-second series and the probes. toxiproxy is reset in a finally.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ChaosEnvironment, ChaosSubject } from '../faults/chaos-environment.ts';
import { type Gameday, gamedayDurationMs, loadGameday } from '../faults/gameday.ts';
import { phaseStats, recoveries, resilienceChecks, sloVerdicts } from '../faults/resilience.ts';
import { runTimeline, type TimelineResult } from '../faults/timeline.ts';
import type { FaultLink } from '../faults/toxiproxy.ts';
import { EnvironmentError, TokenproofError, UsageError } from '../lib/errors.ts';
import { pollUntil } from '../lib/poll.ts';
import { judgeLoad, type LoadMeasurement, measureLoad, prepareLoad } from '../load/run-load.ts';
import type { LoadTarget } from '../load/target-endpoints.ts';
import { invalidKinds } from '../load/token-pool.ts';
import type { CheckResult, TimelineSeries } from '../results/model.ts';
import { repoRoot } from '../tools/paths.ts';
import type { PreparedEnvironment } from './environment.ts';
import type { Phase, PhaseContext, PhaseOutput } from './phase.ts';

export interface ChaosPhaseOptions {
  gameday: Gameday;
  /** Where it came from, for the report. */
  file?: string;
}

/** k6 runs this much longer than the timeline: it flushes its first samples about a second after it starts. */
const loadSlackMs = 3000;
const defaultRevocationPropagationMs = 5000;

/** The environment as the load sees it during the game day: the subject is the resource server. */
function subjectEnvironment(environment: PreparedEnvironment, subject: ChaosSubject): PreparedEnvironment {
  const { target } = environment;
  const profile = { ...target.profile, resourceServer: subject.resourceServer };
  // The pool follows the subject's trust (harness/load/token-pool.ts poolForger).
  return { ...environment, target: { ...target, profile } };
}

/**
 * The load clients' issuer calls (token, introspection, revocation) through the `token` link, so a
 * fault there is what clients see. Only the k6 script's URLs: the pool was minted straight.
 */
export function routeIssuerTraffic(target: LoadTarget, link: FaultLink): void {
  if (target.tokenEndpoint) target.tokenEndpoint = link.proxied(target.tokenEndpoint);
  if (target.introspectionEndpoint) target.introspectionEndpoint = link.proxied(target.introspectionEndpoint);
  if (target.revocationEndpoint) target.revocationEndpoint = link.proxied(target.revocationEndpoint);
}

function pickSubject(chaos: ChaosEnvironment | undefined, gameday: Gameday): Promise<ChaosSubject> {
  if (!chaos)
    throw new UsageError(
      'this environment has no toxiproxy links for game days: run the game day on the embedded stack, the containers environment or a profile target',
    );
  const subject = chaos.subjects[gameday.subject];
  if (!subject)
    throw new UsageError(
      `the ${gameday.name} game day loads the ${gameday.subject} resource server, which this target does not have (it has: ${Object.keys(chaos.subjects).join(', ') || 'none'})`,
    );
  return subject();
}

/** The first CSV samples k6 writes: the moment the load is really on, the timeline's zero. */
async function loadStarted(workDir: string, signal: AbortSignal): Promise<boolean> {
  const found = await pollUntil(
    async () => {
      for (const name of readdirSync(workDir))
        if (name.startsWith('samples-') && statSync(join(workDir, name)).size > 400) return true;
      return undefined;
    },
    { timeoutMs: 20_000, intervalMs: 50, signal },
  );
  return found.value === true;
}

/** The short game day `tokenproof run` ends with. */
export const defaultGamedayFile = join(repoRoot, 'scenarios', 'gamedays', 'run-default.yaml');

/**
 * `tokenproof run`'s chaos phase: the short default game day. A target it cannot fault (no link
 * toxiproxy can sit on) is a skip naming why; a target that broke is an error; never a silent pass.
 */
export function defaultChaosPhase(): Phase {
  return {
    name: 'chaos',
    async run(context) {
      try {
        return await chaosPhase({ gameday: loadGameday(defaultGamedayFile), file: defaultGamedayFile }).run(context);
      } catch (error) {
        if (!(error instanceof TokenproofError)) throw error;
        const notApplicable = error instanceof UsageError;
        const check: CheckResult = {
          id: 'chaos.ran',
          suite: 'resilience',
          title: 'The chaos phase ran',
          level: 'MUST',
          outcome: notApplicable ? 'skip' : 'error',
          reason: context.redactor.scrub(notApplicable ? error.message : `the default game day could not run: ${error.message}`),
          spec: [],
          durationMs: 0,
          evidence: { exchanges: [], notes: [] },
          phase: 'chaos',
        };
        for (const reporter of context.reporters) await reporter.onCheckEnd?.(check);
        return { checks: [check] };
      }
    },
  };
}

export function chaosPhase(options: ChaosPhaseOptions): Phase {
  const { gameday } = options;
  return {
    name: 'chaos',
    async run(context: PhaseContext): Promise<PhaseOutput> {
      const chaos = context.environment.chaos;
      const subject = await pickSubject(chaos, gameday);
      const missing = gameday.phases.flatMap((phase) =>
        (phase.fault?.kind === 'clock-skew' ? [] : (phase.links ?? [])).filter((link) => !subject.links[link]),
      );
      if (missing.length > 0)
        throw new UsageError(
          `the ${gameday.name} game day puts faults on ${[...new Set(missing)].join(', ')}, but toxiproxy sits on no such link of this target (${Object.keys(subject.links).join(', ') || 'none'}): ${chaos!.notes.join('; ') || 'see harness/faults/README.md'}`,
        );
      if (gameday.phases.some((phase) => phase.fault?.kind === 'clock-skew') && !subject.skew)
        throw new UsageError(`the ${gameday.name} game day skews the issuer clock, and this target gives no way to do that`);
      const toxiproxy = chaos!.toxiproxy;
      const log = context.log;
      const loadContext = { log, signal: context.signal, runStartedAt: context.runStartedAt };
      const revocationPropagationMs =
        gameday.slo.revocationPropagation ??
        context.environment.target.profile.slo.revocationPropagation ??
        defaultRevocationPropagationMs;
      const durationMs = gamedayDurationMs(gameday) + loadSlackMs;
      log(
        `chaos: game day ${gameday.name} on the ${subject.name} resource server (${subject.resourceServer.url}), ${Math.round(durationMs / 1000)} s`,
      );
      const prepared = await prepareLoad(
        subjectEnvironment(context.environment, subject),
        { scenario: gameday.load.scenario, durationMs, rate: gameday.load.rate, poolSize: gameday.load.poolSize },
        loadContext,
      );
      const tokenLink = subject.links.token;
      if (tokenLink) {
        routeIssuerTraffic(prepared.target, tokenLink);
        prepared.tokens.notes.push(
          `the load's issuer calls (token, introspection, revocation) go through the token link (${tokenLink.listenOrigin} → ${tokenLink.upstreamOrigin})`,
        );
      }
      const loadAbort = new AbortController();
      const onAbort = () => loadAbort.abort();
      context.signal.addEventListener('abort', onAbort, { once: true });
      let timeline: TimelineResult;
      let measurement: LoadMeasurement;
      try {
        const running = measureLoad(
          prepared,
          { rate: gameday.load.rate, durationMs, quiet: true },
          { ...loadContext, signal: loadAbort.signal },
        );
        // A failed k6 start must not leave the timeline waiting.
        running.catch(() => loadAbort.abort());
        try {
          if (!(await loadStarted(prepared.workDir, loadAbort.signal)))
            throw new EnvironmentError(
              'k6 wrote no samples within 20 s of starting',
              'run the scenario with `tokenproof load` to see why',
            );
          timeline = await runTimeline({
            gameday,
            subject,
            toxiproxy,
            zero: performance.now(),
            runStartedAt: context.runStartedAt,
            revocationPropagationMs,
            signal: loadAbort.signal,
            log,
          });
        } catch (error) {
          loadAbort.abort();
          await running.catch(() => undefined);
          throw error;
        } finally {
          // Whatever happened, nothing stays broken.
          await toxiproxy.reset();
        }
        measurement = await running;
        const output = judge(gameday, options.file, subject, chaos!, timeline, measurement, prepared, revocationPropagationMs);
        for (const check of output.checks) for (const reporter of context.reporters) await reporter.onCheckEnd?.(check);
        return output;
      } finally {
        context.signal.removeEventListener('abort', onAbort);
        prepared.cleanup();
      }
    },
  };
}

function judge(
  gameday: Gameday,
  file: string | undefined,
  subject: ChaosSubject,
  chaos: ChaosEnvironment,
  timeline: TimelineResult,
  measurement: LoadMeasurement,
  prepared: Awaited<ReturnType<typeof prepareLoad>>,
  revocationPropagationMs: number,
): PhaseOutput {
  const buckets = measurement.series.seconds();
  const totals = measurement.series.totals;
  const observation = {
    gameday,
    subject: subject.name,
    windows: timeline.windows,
    buckets,
    runStartWallMs: measurement.runStartWallMs,
    probes: timeline.probes,
    revocations: timeline.revocations,
    revocationPropagationMs,
    invalidSent: invalidKinds.reduce((sum, kind) => sum + totals.sentByKind[kind], 0),
  };
  const stats = phaseStats(observation);
  const recovered = recoveries(observation);
  const checks = resilienceChecks(observation, stats, recovered);
  const slo = sloVerdicts(observation, stats, recovered);

  // The load's own per-second series, named for the game day, plus availability.
  const loadTimeline = judgeLoad(prepared, measurement).timeline;
  const prefix = `chaos ${gameday.name}`;
  const series: TimelineSeries[] = loadTimeline.series.map((s) => ({ ...s, name: s.name.replace(/^[^:]+:/, `${prefix}:`) }));
  series.push({
    name: `${prefix}: availability`,
    unit: '%',
    points: buckets.flatMap((bucket): [number, number][] => {
      if (bucket.legitimate === 0) return [];
      return [
        [
          Math.max(0, bucket.second * 1000 - measurement.runStartWallMs),
          Math.round((bucket.succeeded / bucket.legitimate) * 10_000) / 100,
        ],
      ];
    }),
  });
  const faults = timeline.windows
    .filter((window) => window.label)
    .map((window) => ({ name: `${window.phase.name}: ${window.label}`, startMs: window.startMs, endMs: window.endMs }));
  const probeSummary = new Map<
    string,
    { phase: string; kind: string; sent: number; accepted: number; noAnswer: number; mustRefuse: boolean }
  >();
  for (const probe of timeline.probes) {
    const key = `${probe.phase} ${probe.kind}`;
    const entry = probeSummary.get(key) ?? {
      phase: probe.phase,
      kind: probe.kind,
      sent: 0,
      accepted: 0,
      noAnswer: 0,
      mustRefuse: probe.mustRefuse,
    };
    entry.sent++;
    if (probe.accepted) entry.accepted++;
    if (probe.error) entry.noAnswer++;
    probeSummary.set(key, entry);
  }
  const links = Object.values(subject.links).map((link) => ({
    name: link!.name,
    listen: link!.listenOrigin,
    upstream: link!.upstreamOrigin,
    ...(link!.tls && { note: 'https upstream: toxiproxy is TCP-only, so faults act on TLS records' }),
  }));
  return {
    checks,
    slo,
    timeline: { series, faults },
    details: {
      chaos: {
        gameday: gameday.name,
        ...(file && { file }),
        ...(gameday.description && { description: gameday.description }),
        subject: subject.name,
        resourceServer: subject.resourceServer.url,
        scenario: gameday.load.scenario,
        rate: gameday.load.rate,
        links,
        phases: stats,
        recoveries: recovered,
        probes: [...probeSummary.values()],
        revocations: timeline.revocations,
        wronglyAccepted: totals.wronglyAccepted,
        notes: [...chaos.notes, ...timeline.notes, ...prepared.tokens.notes],
      },
    },
  };
}
