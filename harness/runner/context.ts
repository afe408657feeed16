/** What a check's run(t) receives: the target, the shared steps, evidence, and the verdict helpers. */
import type { Fetcher } from '../oauth/client.ts';
import type { Profile } from '../profile/schema.ts';
import { CheckFailed, CheckSkipped } from './check.ts';
import { recordingFetch } from './http.ts';
import type { Evidence } from './model.ts';
import type { Redactor } from './redactor.ts';
import { createSteps, type RunCache, type Steps } from './steps.ts';
import type { Target } from './target.ts';

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
  /** Ends the check: the server did something the clause forbids. */
  fail(reason: string): never;
  assert(condition: unknown, reason: string): asserts condition;
  /** Ends the check: it does not apply to this target. */
  skip(reason: string): never;
  /** The reason shown when the check passes. */
  passReason(reason: string): void;
}

export interface ContextHandle {
  context: CheckContext;
  evidence: Evidence;
  passReason(): string | undefined;
}

export function createCheckContext(input: {
  target: Target;
  redactor: Redactor;
  cache: RunCache;
  signal: AbortSignal;
  requestTimeoutMs: number;
}): ContextHandle {
  const evidence: Evidence = { exchanges: [], notes: [] };
  let reasonForPass: string | undefined;
  const record = recordingFetch({
    redactor: input.redactor,
    timeoutMs: input.requestTimeoutMs,
    record: (exchange) => evidence.exchanges.push(exchange),
  });
  const fetch: Fetcher = (url, init = {}) =>
    record(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, input.signal]) : input.signal });
  const note = (text: string) => {
    evidence.notes.push(input.redactor.scrub(text));
  };
  const context: CheckContext = {
    target: input.target,
    profile: input.target.profile,
    steps: createSteps({ target: input.target, fetch, redactor: input.redactor, cache: input.cache, note }),
    fetch,
    redactor: input.redactor,
    signal: input.signal,
    note,
    fail(reason) {
      throw new CheckFailed(reason);
    },
    assert(condition, reason) {
      if (!condition) throw new CheckFailed(reason);
    },
    skip(reason) {
      throw new CheckSkipped(reason);
    },
    passReason(reason) {
      reasonForPass = reason;
    },
  };
  return { context, evidence, passReason: () => reasonForPass };
}
