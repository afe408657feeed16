/**
 * How an RS answered, in the reader's terms, shared by the resource-server suites: accepted or
 * refused, the OAuth challenge (RFC 6750 §3 Bearer, RFC 9449 §7.1 DPoP) and a one-line
 * description for reasons and notes (the runner scrubs registered tokens from both).
 *
 * Valid tokens come from the S01 positive control (`steps.resourceServer.control()`, once per
 * run), not from the runner's `dependsOn`: when the RS accepts no valid token at all the step
 * raises PreconditionFailed naming S01 (the check is `error`), and when S01 fails only for its
 * typ finding (an RS that refuses at+jwt but accepts JWT) these checks still run with the typ
 * the RS accepts, as the rest of the RS matrix does.
 */
import { type Challenge, challengeFor, parseWwwAuthenticate } from '../../harness/oauth/www-authenticate.ts';
import type { ResourceAnswer } from '../../harness/steps/resource-server.ts';

export const isAccepted = (answer: { status: number }) => answer.status >= 200 && answer.status < 300;
/** A refusal is a 4xx: a 5xx or no answer says the RS broke, not that it refused. */
export const isRefusal = (answer: { status: number }) => answer.status >= 400 && answer.status < 500;

export function challenges(answer: ResourceAnswer): Challenge[] {
  return parseWwwAuthenticate(answer.headers.get('www-authenticate'));
}

/** The Bearer challenge, or the DPoP one when the RS offers only DPoP (RFC 9449 §7.1). */
export function oauthChallenge(answer: ResourceAnswer): Challenge | undefined {
  const all = challenges(answer);
  return challengeFor(all, 'Bearer') ?? challengeFor(all, 'DPoP');
}

export function describeAnswer(answer: ResourceAnswer): string {
  if (answer.status === 0) return `no answer (${answer.text})`;
  const header = answer.headers.get('www-authenticate');
  return `HTTP ${answer.status}${header ? `, WWW-Authenticate: ${header}` : ', no WWW-Authenticate'}`;
}

/** A token's compact-JWS signature, a piece that must not be echoed either (it makes the token usable again). */
export function signatureOf(token: string): string | undefined {
  const parts = token.split('.');
  const signature = parts.length === 3 ? parts[2] : undefined;
  return signature && signature.length >= 16 ? signature : undefined;
}
