/**
 * How the rs-claims checks send forged tokens and judge the answers (CHECKS.md legend): for a
 * token that must be refused, any 4xx is a refusal (400/403 are noted, not failed: rs-errors
 * judges the exact status and challenge once, at RFC 6750's level); a 2xx, a 5xx, no answer, an
 * answer that echoes the token, or a fetch to the harness listener fails, and the reason says
 * which. A token that must be accepted needs a 2xx.
 */
import { pollUntil } from '../../harness/lib/poll.ts';
import type { Level } from '../../harness/results/model.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import type { ResourceAnswer, ResourceServerControl } from '../../harness/steps/resource-server.ts';
import type { ForgedToken } from '../../harness/test-issuer/variations.ts';

export interface Judgement {
  /** Empty when the RS did what the case expects. */
  problem?: string;
  /** A refusal that is not the 401 RFC 6750 §3.1 recommends: noted, not failed. */
  note?: string;
}

const statusText = (answer: ResourceAnswer) => (answer.status === 0 ? `no answer (${answer.text})` : `HTTP ${answer.status}`);

/**
 * Whether the answer carries the token back to the caller: the whole token, or its signature
 * (what makes it usable). A quoted header or payload is not a credential.
 */
export function echoes(answer: ResourceAnswer, token: string): boolean {
  const parts = token.split('.');
  const pieces = [token, ...(parts.length === 3 ? [parts[2]!] : [])].filter((piece) => piece.length >= 32);
  const headers = [...answer.headers.values()].join('\n');
  return pieces.some((piece) => answer.text.includes(piece) || headers.includes(piece));
}

export function judge(answer: ResourceAnswer, token: string, expect: 'accept' | 'reject'): Judgement {
  if (echoes(answer, token)) return { problem: `echoed the token in its ${statusText(answer)} answer` };
  if (answer.status === 0) return { problem: statusText(answer) };
  if (answer.status >= 500) return { problem: `answered HTTP ${answer.status} (a server error, not a refusal)` };
  const accepted = answer.status >= 200 && answer.status < 300;
  if (expect === 'accept') return accepted ? {} : { problem: `refused it (${statusText(answer)})` };
  if (accepted) return { problem: `accepted it (HTTP ${answer.status})` };
  if (answer.status === 401) return {};
  if (answer.status < 400) return { note: `refused with HTTP ${answer.status} (a redirect) instead of 401` };
  return { note: `refused with HTTP ${answer.status} instead of 401` };
}

/** The control, or a skip when the RS does not trust the harness test issuer, which the check `needs`. */
export async function harnessControl(t: CheckContext, needs: string): Promise<ResourceServerControl> {
  const control = await t.steps.resourceServer.control();
  if (control.trusts !== 'harness' || !t.target.testIssuer)
    t.skip(`the resource server trusts the target issuer (trusts: issuer): this check needs ${needs}`);
  return control;
}

export interface ForgeryRun {
  control: ResourceServerControl;
  cases: ForgedToken[];
  /** `name: problem` for each case the RS got wrong. */
  problems: { forged: ForgedToken; problem: string }[];
  notes: string[];
}

export interface ForgeryOptions {
  /** Which cases of the check to send (default all). */
  include?: (forged: ForgedToken, control: ResourceServerControl) => boolean;
  /** What a trusted key is needed for (the skip reason against trusts: issuer when no case needs none). */
  why?: string;
}

/** Sends every forgery of one catalog code and judges each answer; listener hits fail the case that caused them. */
export async function sendForgeries(t: CheckContext, code: string, options: ForgeryOptions = {}): Promise<ForgeryRun> {
  const control = await t.steps.resourceServer.control();
  const listener = t.target.testIssuer?.listener;
  const cases = (await t.steps.resourceServer.forgeries()).filter(
    (forged) => forged.check === code && (options.include?.(forged, control) ?? true),
  );
  if (control.trusts !== 'harness' && cases.length === 0)
    t.skip(
      `the resource server trusts the target issuer (trusts: issuer): this check needs a key the RS trusts (${options.why ?? 'to sign its forgeries'})`,
    );
  const problems: ForgeryRun['problems'] = [];
  const notes: string[] = [];
  for (const forged of cases) {
    const mark = listener?.hits().length ?? 0;
    const answer = await t.steps.resourceServer.withBearer(forged.token);
    const { problem, note } = judge(answer, forged.token, forged.expect);
    t.note(`${forged.name} (${forged.description}): ${statusText(answer)}, expected ${forged.expect}`);
    const fetched = listener?.hitsSince(mark) ?? [];
    if (fetched.length)
      problems.push({ forged, problem: `fetched ${fetched.map((hit) => hit.path).join(', ')} from the harness listener` });
    if (problem) problems.push({ forged, problem });
    if (note) notes.push(`${forged.name}: ${note}`);
  }
  return { control, cases, problems, notes };
}

/** A one-line account of the failures: `alg-none: accepted it (HTTP 200); …`. */
export function describeProblems(run: ForgeryRun): string {
  return run.problems.map(({ forged, problem }) => `${forged.name} (${forged.description}): ${problem}`).join('; ');
}

/**
 * Whether a problem is only a SHOULD finding: the case is graded SHOULD (the RFC lets the
 * recipient accept it) and the RS accepted it. A server error, no answer, an echo or a listener
 * fetch is a MUST failure whatever the case's level.
 */
export const isSoft = ({ forged, problem }: ForgeryRun['problems'][number]) =>
  forged.level === 'SHOULD' && /^accepted it/.test(problem);

/**
 * The usual ending: fail (at `level`) naming every mishandled case (the SHOULD-graded ones it
 * accepted listed too), else warn naming the SHOULD-graded cases it accepted, else pass naming
 * what was sent; refusals other than 401 are listed after the pass reason.
 */
export function conclude(t: CheckContext, run: ForgeryRun, what: string, level?: Level): void {
  if (run.cases.length === 0) t.error(`the test issuer produced no ${what} to send`);
  const soft = run.problems.filter(isSoft);
  const hard = run.problems.filter((entry) => !isSoft(entry));
  if (hard.length) t.fail(`${describeProblems({ ...run, problems: [...hard, ...soft] })}`, level);
  if (soft.length) t.warn(`accepted what it should refuse (SHOULD): ${describeProblems({ ...run, problems: soft })}`);
  const refused = run.cases.filter((forged) => forged.expect === 'reject').length;
  const accepted = run.cases.length - refused;
  const counts = [refused && `refused all ${refused} ${what}`, accepted && `accepted the ${accepted} valid variant(s)`]
    .filter(Boolean)
    .join(' and ');
  t.passReason(`${counts}${run.notes.length ? ` (${run.notes.join('; ')})` : ''}`);
}

/** Waits briefly for a fetch the RS might make after answering (a background jku/x5u fetch). */
export async function lateHits(t: CheckContext, mark: number, windowMs = 500) {
  const listener = t.target.testIssuer!.listener;
  const { value } = await pollUntil(async () => (listener.hitsSince(mark).length ? listener.hitsSince(mark) : undefined), {
    timeoutMs: windowMs,
    intervalMs: 50,
    signal: t.signal,
  });
  return value ?? [];
}

export interface ForgeryCheckOptions extends ForgeryOptions {
  /** How the report names the tokens: `alg none tokens`. */
  what: string;
  /** Skip unless the RS accepts this algorithm (the cases are about it, e.g. ES256 signatures). */
  needsAlg?: string;
}

/** The run(t) of a check that sends its catalog code's forgeries and nothing else. */
export function runForgeryCheck(code: string, options: ForgeryCheckOptions) {
  return async (t: CheckContext) => {
    if (options.needsAlg) {
      const control = await t.steps.resourceServer.control();
      if (!control.algs.includes(options.needsAlg) && control.trusts === 'issuer')
        t.skip(
          `the target issuer signs its tokens ${control.algs.join(', ') || 'opaquely'}, not ${options.needsAlg}: no ${options.what} to make`,
        );
      if (!control.algs.includes(options.needsAlg))
        t.skip(
          `the resource server accepts no ${options.needsAlg} token at all (it accepts ${control.algs.join(', ')}): a refusal would prove nothing about ${options.what}`,
        );
    }
    conclude(t, await sendForgeries(t, code, options), options.what);
  };
}

/** Seconds with one decimal, for measured windows and delays. */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
