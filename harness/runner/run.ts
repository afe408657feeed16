/**
 * Runs the selected checks against a target, one at a time (checks change server state:
 * rotation, revocation, clock), each with its own evidence and time limit, and hands every
 * result to the reporters.
 */
import { UsageError } from '../lib/errors.ts';
import type { Capability } from '../profile/schema.ts';
import { detectCapabilities } from './capabilities.ts';
import { type Check, CheckFailed, CheckSkipped, type Suite, type TargetPart } from './check.ts';
import { createCheckContext } from './context.ts';
import {
  type CheckResult,
  type Outcome,
  type Reporter,
  type RunMeta,
  type RunResult,
  type SloVerdict,
  summarize,
} from './model.ts';
import { Redactor } from './redactor.ts';
import { createSteps, RunCache, StepError } from './steps.ts';
import type { Target } from './target.ts';

export interface Selection {
  suites?: string[];
  checks?: string[];
}

/** Picks suites and checks by name, id or catalog code; an unknown name is a usage error listing the known ones. */
export function selectChecks(all: Suite[], selection: Selection): Check[] {
  const known = new Set(all.map((suite) => suite.name));
  for (const name of selection.suites ?? []) {
    if (!known.has(name)) throw new UsageError(`unknown suite '${name}'; suites: ${[...known].join(', ')}`);
  }
  let checks = all
    .filter((suite) => !selection.suites?.length || selection.suites.includes(suite.name))
    .flatMap((suite) => suite.checks);
  if (selection.checks?.length) {
    const wanted = new Set(selection.checks);
    const matches = (check: Check) => wanted.has(check.id) || (check.catalog !== undefined && wanted.has(check.catalog));
    const everyCheck = all.flatMap((suite) => suite.checks);
    for (const name of wanted) {
      if (!everyCheck.some((check) => check.id === name || check.catalog === name)) {
        throw new UsageError(`unknown check '${name}'; see \`tokenproof list\``);
      }
    }
    checks = checks.filter(matches);
  }
  return checks;
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
  reporters: Reporter[];
  meta: RunMeta;
  redactor?: Redactor;
  slo?: () => SloVerdict[];
}

export async function runChecks(options: RunChecksOptions): Promise<RunResult> {
  const { target, checks, reporters, meta } = options;
  const redactor = options.redactor ?? new Redactor();
  const cache = new RunCache();
  const started = performance.now();
  for (const reporter of reporters)
    await reporter.onBegin?.(
      meta,
      checks.map((check) => ({ id: check.id, suite: check.suite })),
    );
  const capabilities = await resolveCapabilities(target, redactor);
  const results: CheckResult[] = [];
  for (const check of checks) {
    const result = await runOne(check, { target, redactor, cache, capabilities });
    results.push(result);
    for (const reporter of reporters) await reporter.onCheckEnd?.(result);
  }
  return {
    ...meta,
    durationMs: Math.round(performance.now() - started),
    summary: summarize(results),
    checks: results,
    slo: options.slo?.() ?? [],
  };
}

async function resolveCapabilities(target: Target, redactor: Redactor): Promise<Set<Capability> | undefined> {
  const declared = target.profile.issuer?.capabilities;
  if (declared) return new Set(declared);
  if (!target.profile.issuer) return undefined;
  // Its own cache: the first check still fetches discovery itself, with the exchange as evidence.
  const steps = createSteps({ target, fetch, redactor, cache: new RunCache(), note: () => {} });
  try {
    return detectCapabilities((await steps.discovery()).metadata);
  } catch {
    return undefined;
  }
}

async function runOne(
  check: Check,
  run: { target: Target; redactor: Redactor; cache: RunCache; capabilities: Set<Capability> | undefined },
): Promise<CheckResult> {
  const started = performance.now();
  const base = { id: check.id, suite: check.suite, title: check.title, level: check.level, spec: check.spec };
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
  for (const capability of check.requires ?? []) {
    if (run.capabilities && !run.capabilities.has(capability)) return finish('skip', `the issuer does not support ${capability}`);
  }

  const timeoutMs = check.timeoutMs ?? run.target.profile.timeouts.check;
  const controller = new AbortController();
  const handle = createCheckContext({
    target: run.target,
    redactor: run.redactor,
    cache: run.cache,
    signal: controller.signal,
    requestTimeoutMs: run.target.profile.timeouts.request,
  });
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
    return finish('pass', handle.passReason() ?? 'behaves as the clause requires', handle.evidence);
  } catch (error) {
    if (error instanceof CheckFailed) return finish(check.level === 'MUST' ? 'fail' : 'warn', error.message, handle.evidence);
    if (error instanceof CheckSkipped) return finish('skip', error.message, handle.evidence);
    if (error instanceof StepError) return finish('error', error.message, handle.evidence);
    const message = controller.signal.aborted
      ? `did not finish within ${timeoutMs} ms`
      : `harness error: ${(error as Error).message}`;
    return finish('error', message, handle.evidence);
  } finally {
    clearTimeout(timer);
  }
}
