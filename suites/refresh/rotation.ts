/**
 * The story R05–R07 share (RFC 9700 §4.14.2): a user's refresh token RT1 is rotated to RT2,
 * then RT1 is presented again, as an attacker holding a stolen copy would.
 *
 * A new refresh-token string alone does not oblige the server to kill the old one: RFC 6749 §6
 * says it "MAY revoke the old refresh token after issuing a new refresh token to the client",
 * and RFC 9700 §4.14.2 requires replay detection (rotation or sender-constraining) only "for
 * public clients". So invalidation is required for a public client (`auth.method === 'none'`)
 * or when the profile declares `refresh_rotation` (`issuer.capabilities`); otherwise a
 * confidential client's old refresh token that keeps working is a SHOULD finding, not a MUST
 * one. Tokens that never rotate skip (confidential) or fail (public, or rotation declared).
 */
import type { ClientAuth, HttpAnswer, TokenAnswer } from '../../harness/oauth/client.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeLogin, type UserTokens } from '../../harness/steps/index.ts';

export interface InvalidationRule {
  /** Whether a used (rotated) refresh token must stop working. */
  required: boolean;
  /** Why, in the reader's terms, with the clause. */
  why: string;
}

/**
 * Whether the client's used refresh tokens must die: a public client, or rotation the profile
 * declares. A public client whose login was DPoP-bound (token_type DPoP) has sender-constrained
 * refresh tokens (RFC 9449 §5), the other method RFC 9700 §4.14.2 accepts instead of rotation.
 */
export function invalidationRule(t: CheckContext, auth: ClientAuth, user?: Pick<UserTokens, 'answer'>): InvalidationRule {
  const declared = t.profile.issuer?.capabilities?.includes('refresh_rotation') ?? false;
  if (auth.method === 'none' && !declared && user?.answer?.body.token_type?.toLowerCase() === 'dpop')
    return {
      required: false,
      why: 'a public client with DPoP-bound (sender-constrained) refresh tokens: RFC 9700 §4.14.2 accepts sender-constraining instead of rotation (RFC 9449 §5)',
    };
  if (auth.method === 'none')
    return {
      required: true,
      why: 'a public client: RFC 9700 §4.14.2 requires refresh token replay detection for public clients',
    };
  if (declared) return { required: true, why: 'the profile declares refresh_rotation (issuer.capabilities)' };
  return {
    required: false,
    why: `a confidential client (${auth.method}) and no refresh_rotation declared: RFC 6749 §6 says the server "MAY revoke the old refresh token after issuing a new refresh token", and RFC 9700 §4.14.2 requires replay detection only for public clients`,
  };
}

export interface Replayed {
  user: UserTokens & { refreshToken: string };
  rt1: string;
  rt2: string;
  /** The access token the rotation issued (with RT2). */
  at2: string;
  /** The issuer's answer to RT1 presented again. */
  replay: HttpAnswer<TokenAnswer>;
  /** Whether RT1 had to be dead after the rotation, and why. */
  invalidation: InvalidationRule;
}

/** `beforeReplay` is called between the rotation and the replay (R07 looks at the access token while it is live). */
export async function rotateAndReplay(t: CheckContext, beforeReplay?: (at2: string) => Promise<void>): Promise<Replayed> {
  const user = await t.steps.userRefreshToken();
  t.note(describeLogin(user));
  const invalidation = invalidationRule(t, user.auth, user);
  const rt1 = user.refreshToken;
  const rotated = await t.steps.refreshOk(rt1, { auth: user.auth });
  const rt2 = rotated.refresh_token;
  if (!rt2 || rt2 === rt1) {
    const declared = t.profile.issuer?.capabilities?.includes('refresh_rotation') ?? false;
    if (declared)
      t.fail(
        `the profile declares refresh_rotation, but refreshing ${rt2 ? 'returned the same refresh token' : 'returned no new refresh token'}`,
      );
    if (invalidation.required)
      t.fail(
        'the public client got no new refresh token, and its tokens are not DPoP-bound: RFC 9700 §4.14.2 requires rotation or sender-constrained refresh tokens for public clients',
      );
    t.skip(
      `the ${user.clientName} client's refresh tokens do not rotate (${rt2 ? 'the same token comes back' : 'no new token comes back'}), and the profile does not declare refresh_rotation: rotation is required only for public clients (RFC 9700 §2.2.2, §4.14.2)`,
    );
  }
  t.note(
    `the refresh issued a new refresh token: RT1 → RT2; RT1 ${invalidation.required ? 'must' : 'may'} stop working (${invalidation.why})`,
  );
  await beforeReplay?.(rotated.access_token);
  const replay = await t.steps.refresh(rt1, { auth: user.auth });
  return { user, rt1, rt2, at2: rotated.access_token, replay, invalidation };
}
