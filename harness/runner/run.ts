/**
 * Runs the selected checks against a target, one at a time (checks change server state:
 * rotation, revocation, clock), each with its own evidence and time limit, and hands every
 * result to the reporters. Verdicts come from harness/runner/verdict.ts; a check that ends
 * without saying what it examined is `error`, never a vacuous pass.
 */
import { UsageError } from '../lib/errors.ts';
import { Redactor } from '../lib/redactor.ts';
import type { CheckResult, Outcome, Reporter, SloVerdict } from '../results/model.ts';
import { RunCache } from '../steps/index.ts';
import { issuerCapabilities } from './capabilities.ts';
import type { Check, Suite, TargetPart } from './check.ts';
import { createCheckContext } from './context.ts';
import type { Target } from './target.ts';
import { CheckFailed, CheckSkipped, outcomeAt, PreconditionFailed, StepError } from './verdict.ts';

export interface Selection {
  suites?: string[];
  checks?: string[];
}

/**
 * Picks suites and checks by name, id or catalog code; an unknown name is a usage error listing
 * the known ones. A selected check's dependencies (its positive controls) are selected too, in
 * catalog order.
 */
export function selectChecks(all: Suite[], selection: Selection): Check[] {
  const known = new Set(all.map((suite) => suite.name));
  for (const name of selection.suites ?? []) {
    if (!known.has(name)) throw new UsageError(`unknown suite '${name}'; suites: ${[...known].join(', ')}`);
  }
  const everyCheck = all.flatMap((suite) => suite.checks);
  let checks = all
    .filter((suite) => !selection.suites?.length || selection.suites.includes(suite.name))
    .flatMap((suite) => suite.checks);
  if (selection.checks?.length) {
    const wanted = new Set(selection.checks);
    const matches = (check: Check) => wanted.has(check.id) || (check.catalog !== undefined && wanted.has(check.catalog));
    for (const name of wanted) {
      if (!everyCheck.some((check) => check.id === name || check.catalog === name)) {
        throw new UsageError(`unknown check '${name}'; see \`tokenproof list\``);
      }
    }
    checks = checks.filter(matches);
  }
  const chosen = new Set(checks.map((check) => check.id));
  const addDependencies = (check: Check) => {
    for (const id of check.dependsOn ?? []) {
      if (chosen.has(id)) continue;
      const dependency = everyCheck.find((candidate) => candidate.id === id);
      if (!dependency) throw new Error(`check ${check.id} depends on unknown check ${id}`);
      chosen.add(id);
      addDependencies(dependency);
    }
  };
  for (const check of checks) addDependencies(check);
  return everyCheck.filter((check) => chosen.has(check.id));
}

function missingPart(target: Target, part: TargetPart): string | undefined {
  const issuer = target.profile.issuer;
  switch (part) {
    case 'issuer':
      return issuer ? undefined : 'the profile has no issuer';
    case 'primaryClient':
      return issuer?.clients?.primary ? undefined : 'the profile has no issuer.clients.primary';
    case 'secondaryClient':
      return issuer?.clients?.secondary ? undefined : 'the profile has no issuer.clients.secondary';
    case 'login':
      return issuer?.login ? undefined : 'the profile has no issuer.login steps';
    case 'resourceServer':
      return target.profile.resourceServer ? undefined : 'the profile has no resourceServer';
    case 'keyRotation':
      return issuer?.admin?.rotateKeys ? undefined : 'the profile gives no way to rotate keys (issuer.admin.rotateKeys)';
  }
}

export interface RunChecksOptions {
  target: Target;
  checks: Check[];
  reporters?: readonly Reporter[];
  redactor?: Redactor;
  /**
   * Shared lookups (discovery, JWKS) and run-scoped resources (the login browser); a phase passes
   * its own and disposes it. Without one, runChecks makes one and disposes it at the end.
   */
  cache?: RunCache;
  /** Receives the SLO verdicts checks measure (t.slo), for the phase's `slo` list. */
  slo?: SloVerdict[];
}

export async function runChecks(options: RunChecksOptions): Promise<CheckResult[]> {
  const { target, checks } = options;
  const redactor = options.redactor ?? new Redactor();
  const cache = options.cache ?? new RunCache();
  try {
    const results: CheckResult[] = [];
    const byId = new Map<string, CheckResult>();
    for (const check of checks) {
      const result = await runOne(check, { target, redactor, cache, byId, slo: options.slo ?? [] });
      results.push(result);
      byId.set(result.id, result);
      for (const reporter of options.reporters ?? []) await reporter.onCheckEnd?.(result);
    }
    return results;
  } finally {
    // A cache passed in belongs to the caller (it disposes it); our own ends with this run.
    if (!options.cache) await cache.dispose();
  }
}

/** A dependency that did not pass or warn: the reason this check cannot be judged. */
function failedPrecondition(check: Check, byId: Map<string, CheckResult>): string | undefined {
  for (const id of check.dependsOn ?? []) {
    const dependency = byId.get(id);
    if (!dependency) return `the check it depends on, ${id}, did not run`;
    if (dependency.outcome === 'pass' || dependency.outcome === 'warn') continue;
    const name = dependency.catalog ? `${dependency.catalog} (${id})` : id;
    if (dependency.outcome === 'skip') return `skipped with ${name}: ${dependency.reason}`;
    return `the positive control ${name} ${dependency.outcome === 'fail' ? 'failed' : 'could not run'}: ${dependency.reason}`;
  }
  return undefined;
}

async function runOne(
  check: Check,
  run: {
    target: Target;
    redactor: Redactor;
    cache: RunCache;
    byId: Map<string, CheckResult>;
    slo: SloVerdict[];
  },
): Promise<CheckResult> {
  const started = performance.now();
  const base = {
    id: check.id,
    suite: check.suite,
    title: check.title,
    level: check.level,
    spec: check.spec,
    ...(check.catalog && { catalog: check.catalog }),
    phase: 'conformance' as const,
  };
  const finish = (
    outcome: Outcome,
    reason: string,
    evidence = { exchanges: [], notes: [] } as CheckResult['evidence'],
  ): CheckResult => ({
    ...base,
    outcome,
    reason: run.redactor.scrub(reason),
    durationMs: Math.round(performance.now() - started),
    evidence,
  });

  for (const part of check.needs ?? []) {
    const missing = missingPart(run.target, part);
    if (missing) return finish('skip', missing);
  }
  const refreshProfile = run.target.profile.issuer?.profile ?? 'rfc9700';
  if (check.profiles && !check.profiles.includes(refreshProfile))
    return finish('skip', `applies to the ${check.profiles.join('/')} profile; this target is ${refreshProfile}`);
  const timeoutMs = check.timeoutMs ?? run.target.profile.timeouts.check;
  const controller = new AbortController();
  const handle = createCheckContext({
    checkId: check.id,
    target: run.target,
    redactor: run.redactor,
    cache: run.cache,
    signal: controller.signal,
    requestTimeoutMs: run.target.profile.timeouts.request,
    maxBodyBytes: run.target.profile.limits.maxBodyBytes,
  });
  if (check.requires?.length) {
    // Detected in this check, from the run's one discovery lookup: the exchange is its evidence.
    const capabilities = await issuerCapabilities(run.target, handle.context.steps);
    for (const capability of check.requires)
      if (capabilities && !capabilities.has(capability))
        return finish('skip', `the issuer does not support ${capability}`, handle.evidence);
  }
  const precondition = failedPrecondition(check, run.byId);
  if (precondition) {
    const skipped = precondition.startsWith('skipped with');
    return finish(skipped ? 'skip' : 'error', new PreconditionFailed(precondition).message);
  }

  const withWarnings = (reason: string) => {
    const warnings = handle.warnings();
    return warnings.length ? `${reason}; also: ${warnings.join('; ')}` : reason;
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve('timeout');
    }, timeoutMs);
  });
  try {
    const ended = await Promise.race([check.run(handle.context).then(() => 'done' as const), timeout]);
    if (ended === 'timeout') return finish('error', `did not finish within ${timeoutMs} ms`, handle.evidence);
    const warnings = handle.warnings();
    if (warnings.length) return finish('warn', warnings.join('; '), handle.evidence);
    const reason = handle.passReason();
    if (reason === undefined)
      return finish('error', 'the check ended without a verdict (it did not say what it examined)', handle.evidence);
    return finish('pass', reason, handle.evidence);
  } catch (error) {
    if (error instanceof CheckFailed)
      return finish(outcomeAt(error.level ?? check.level), withWarnings(error.message), handle.evidence);
    if (error instanceof CheckSkipped) return finish('skip', error.message, handle.evidence);
    if (error instanceof StepError || error instanceof PreconditionFailed) return finish('error', error.message, handle.evidence);
    const message = controller.signal.aborted
      ? `did not finish within ${timeoutMs} ms`
      : `harness error: ${(error as Error).message}`;
    return finish('error', message, handle.evidence);
  } finally {
    clearTimeout(timer);
    run.slo.push(...handle.slo());
  }
}
