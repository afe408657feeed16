/**
 * How a check ends, as typed errors with stable codes (the habit of jose's JWTExpired): a check
 * throws one of these through its context (t.fail, t.skip, a failed step) and the runner turns
 * it into an outcome. Kept apart from check.ts and context.ts so neither imports the other for
 * them.
 */
import type { Level, Outcome } from '../results/model.ts';

export type VerdictCode =
  | 'ERR_CHECK_FAILED'
  | 'ERR_CHECK_SKIPPED'
  | 'ERR_STEP_FAILED'
  | 'ERR_PRECONDITION_FAILED'
  | 'ERR_NO_VERDICT';

export abstract class Verdict extends Error {
  abstract readonly code: VerdictCode;
}

/**
 * The server did something the clause forbids. `level` overrides the check's own level for a
 * graded verdict (S29: above 300 s is a MUST failure); the caller decides severity, so one
 * check can judge at MUST and at SHOULD.
 */
export class CheckFailed extends Verdict {
  readonly code = 'ERR_CHECK_FAILED';
  readonly level: Level | undefined;
  constructor(message: string, level?: Level) {
    super(message);
    this.level = level;
  }
}

/** The check does not apply to this target (a capability, a part of the profile is missing). */
export class CheckSkipped extends Verdict {
  readonly code = 'ERR_CHECK_SKIPPED';
}

/**
 * The target (or the harness) could not do what a step needs, so the check could not judge:
 * `error`, never counted as a pass.
 */
export class StepError extends Verdict {
  readonly code = 'ERR_STEP_FAILED';
}

/**
 * A check this one depends on (a positive control) did not pass, so judging this one would
 * mislead: `error` naming the control. The runner raises it for `dependsOn`; a shared step may
 * throw it too (the RS control step, when no valid token is accepted at all).
 */
export class PreconditionFailed extends Verdict {
  readonly code = 'ERR_PRECONDITION_FAILED';
}

/** The outcome a failed check gets at a level: MUST fails the run, SHOULD warns. */
export function outcomeAt(level: Level): Outcome {
  return level === 'MUST' ? 'fail' : 'warn';
}
