/**
 * How the revocation checks see whether a token still works: introspection (as the introspecting
 * party) where the target has it, else the resource server where it trusts this issuer. A
 * check that can see neither has nothing to judge and skips.
 */
import { pollUntil } from '../../harness/lib/poll.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

/** How long a resource server may take to learn of a revocation when the profile sets no SLO. */
const defaultPropagationMs = 5_000;

export interface Observer {
  /** 'introspection' or 'resource server', for the reasons. */
  via: string;
  active(token: string): Promise<boolean>;
  /**
   * Whether the token is seen inactive, soon: at once for introspection (the issuer's own
   * answer), within slo.revocationPropagation for a resource server (it learns of revocations
   * asynchronously).
   */
  becomesInactive(token: string): Promise<boolean>;
}

/**
 * A protected URL of a resource server that trusts this issuer: resourceServer when it trusts
 * the issuer, else the first of propagation.resourceServers (the embedded stack's RS for
 * forged tokens trusts the harness test issuer instead).
 */
export function issuerResourceServer(t: CheckContext): string | undefined {
  const rs = t.profile.resourceServer;
  if (rs?.trusts === 'issuer') return rs.url;
  return t.profile.propagation?.resourceServers[0];
}

export async function observer(t: CheckContext): Promise<Observer>;
/** With `optional`: undefined instead of a skip when nothing can observe tokens. */
export async function observer(t: CheckContext, options: { optional: true }): Promise<Observer | undefined>;
export async function observer(t: CheckContext, options: { optional?: boolean } = {}): Promise<Observer | undefined> {
  if (await t.steps.canIntrospect()) {
    const active = async (token: string) => (await t.steps.activeAtIntrospection(token)) === true;
    return { via: 'introspection', active, becomesInactive: async (token) => !(await active(token)) };
  }
  const url = issuerResourceServer(t);
  if (url) {
    const active = async (token: string) => {
      const answer = await t.steps.resourceServer.withBearer(token, { url });
      if (answer.status === 0 || answer.status >= 500)
        t.error(`the resource server gave no usable answer (HTTP ${answer.status} ${answer.text.slice(0, 80)})`);
      return answer.status >= 200 && answer.status < 300;
    };
    const timeoutMs = t.profile.slo.revocationPropagation ?? defaultPropagationMs;
    return {
      via: 'resource server',
      active,
      becomesInactive: async (token) => {
        const seen = await pollUntil(async () => ((await active(token)) ? undefined : true), {
          timeoutMs,
          intervalMs: 200,
          signal: t.signal,
        });
        return seen.value === true;
      },
    };
  }
  if (options.optional) return undefined;
  t.skip('nothing to observe a revocation with: no introspection endpoint and no resource server that trusts this issuer');
}

/**
 * A fresh access token of `client` that the observer sees active (the positive control: a token
 * that is inactive before anyone revokes it proves nothing).
 */
export async function liveAccessToken(
  t: CheckContext,
  seen: Observer,
  client: 'primary' | 'secondary' = 'primary',
): Promise<string> {
  const fresh = await freshActiveToken(t, seen, client);
  if ('problem' in fresh) t.skip(fresh.problem);
  return fresh.token;
}

/** A fresh access token the observer sees active, or why there is none (nothing to observe revocation with). */
export async function freshActiveToken(
  t: CheckContext,
  seen: Observer,
  client: 'primary' | 'secondary',
): Promise<{ token: string } | { problem: string }> {
  const { accessToken } = await t.steps.audienceToken(client);
  if (seen.via === 'introspection') {
    const answer = await t.steps.introspect(accessToken);
    if (answer.status !== 200)
      return {
        problem: `introspection answered HTTP ${answer.status} ${String(answer.body.error ?? '')} for a fresh access token (see I01): its revocation cannot be observed`,
      };
    if (answer.body.active !== true)
      return {
        problem: `a fresh access token of the ${client} client is not active at introspection (see I01): its revocation cannot be observed`,
      };
    return { token: accessToken };
  }
  if (!(await seen.active(accessToken)))
    return {
      problem: `the resource server refuses a fresh access token of the ${client} client: its revocation cannot be observed`,
    };
  return { token: accessToken };
}

/**
 * Revokes an access token with the right hint and says whether that works at all: RFC 7009 §2
 * makes access-token revocation a SHOULD, so checks that use it to judge something else
 * (a wrong hint, another client) skip when the target does not do it.
 */
export async function accessTokenRevocationWorks(t: CheckContext, seen: Observer): Promise<boolean> {
  const fresh = await freshActiveToken(t, seen, 'primary');
  if ('problem' in fresh) {
    t.note(fresh.problem);
    return false;
  }
  const token = fresh.token;
  const answer = await t.steps.revoke(token, { hint: 'access_token' });
  return answer.status === 200 && (await seen.becomesInactive(token));
}

export async function requireAccessTokenRevocation(t: CheckContext, seen: Observer): Promise<void> {
  const token = await liveAccessToken(t, seen);
  const answer = await t.steps.revoke(token, { hint: 'access_token' });
  if (answer.status !== 200)
    t.skip(
      `the issuer does not revoke access tokens (HTTP ${answer.status} ${String(answer.body.error ?? '')}); RFC 7009 §2 makes that a SHOULD`.trim(),
    );
  if (!(await seen.becomesInactive(token)))
    t.skip(`a revoked access token stays active at ${seen.via}; access-token revocation is a SHOULD (RFC 7009 §2, see V03)`);
}
