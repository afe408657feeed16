/** What a check's run(t) receives: the target, the shared steps, evidence, and the verdict helpers. */

import type { Redactor } from '../lib/redactor.ts';
import type { Fetcher } from '../oauth/client.ts';
import type { Profile } from '../profile/schema.ts';
import type { Evidence, Level, SloVerdict } from '../results/model.ts';
import { createSteps, type RunCache, type Steps } from '../steps/index.ts';
import { recordingFetch } from './http.ts';
import type { Target } from './target.ts';
import { CheckFailed, CheckSkipped, StepError } from './verdict.ts';

export interface CheckContext {
  target: Target;
  profile: Profile;
  steps: Steps;
  fetch: Fetcher;
  redactor: Redactor;
  /** Aborted when the check runs out of time. */
  signal: AbortSignal;
  /** Records an observation as evidence (secrets are scrubbed). */
  note(text: string): void;
  /**
   * Ends the check: the server did something the clause forbids. The outcome follows the
   * check's level (MUST fails, SHOULD warns) unless `level` grades this finding otherwise.
   */
  fail(reason: string, level?: Level): never;
  assert(condition: unknown, reason: string, level?: Level): asserts condition;
  /**
   * A SHOULD-level finding that does not end the check: it goes on, and if nothing fails the
   * outcome is `warn` with these reasons (S12: refusing an unknown kid is MUST, the refetch
   * cool-down is SHOULD).
   */
  warn(reason: string): void;
  /** t.warn(reason) unless the condition holds. */
  should(condition: unknown, reason: string): void;
  /**
   * Records an SLO verdict the check measured (V08's revocation propagation against
   * slo.revocationPropagation): it lands in the run's `slo` list, beside the check's own outcome.
   */
  slo(verdict: SloVerdict): void;
  /** Ends the check: it does not apply to this target. */
  skip(reason: string): never;
  /** Ends the check as `error`: the target or harness broke, so there is no verdict. */
  error(reason: string): never;
  /**
   * The reason shown when the check passes. A check that never sets one has not said what it
   * examined, and ends as `error`, never as a vacuous pass.
   */
  passReason(reason: string): void;
}

export interface ContextHandle {
  context: CheckContext;
  evidence: Evidence;
  passReason(): string | undefined;
  warnings(): string[];
  slo(): SloVerdict[];
}

export function createCheckContext(input: {
  checkId: string;
  target: Target;
  redactor: Redactor;
  cache: RunCache;
  signal: AbortSignal;
  requestTimeoutMs: number;
  maxBodyBytes: number;
}): ContextHandle {
  const evidence: Evidence = { exchanges: [], notes: [] };
  let reasonForPass: string | undefined;
  const warnings: string[] = [];
  const sloVerdicts: SloVerdict[] = [];
  const record = recordingFetch({
    redactor: input.redactor,
    timeoutMs: input.requestTimeoutMs,
    maxBodyBytes: input.maxBodyBytes,
    record: (exchange) => evidence.exchanges.push(exchange),
  });
  const fetch: Fetcher = (url, init = {}) =>
    record(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, input.signal]) : input.signal });
  const note = (text: string) => {
    evidence.notes.push(input.redactor.scrub(text));
  };
  const warn = (reason: string) => {
    warnings.push(input.redactor.scrub(reason));
  };
  const context: CheckContext = {
    target: input.target,
    profile: input.target.profile,
    steps: createSteps({
      target: input.target,
      fetch,
      redactor: input.redactor,
      cache: input.cache,
      checkId: input.checkId,
      note,
      signal: input.signal,
    }),
    fetch,
    redactor: input.redactor,
    signal: input.signal,
    note,
    fail(reason, level) {
      throw new CheckFailed(reason, level);
    },
    assert(condition, reason, level) {
      if (!condition) throw new CheckFailed(reason, level);
    },
    warn,
    should(condition, reason) {
      if (!condition) warn(reason);
    },
    slo(verdict) {
      sloVerdicts.push({ ...verdict, observed: input.redactor.scrub(verdict.observed) });
    },
    skip(reason) {
      throw new CheckSkipped(reason);
    },
    error(reason) {
      throw new StepError(reason);
    },
    passReason(reason) {
      reasonForPass = reason;
    },
  };
  return {
    context,
    evidence,
    passReason: () => reasonForPass,
    warnings: () => [...warnings],
    slo: () => [...sloVerdicts],
  };
}
