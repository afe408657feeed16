/**
 * The story R05–R07 share (RFC 9700 §4.14.2): a user's refresh token RT1 is rotated to RT2,
 * then RT1 is presented again, as an attacker holding a stolen copy would. Rotation is required
 * only for public clients (RFC 9700 §2.2.2, §4.14.2): for a confidential client these checks
 * apply when the profile declares `refresh_rotation` or the issuer is seen rotating; otherwise
 * they skip, naming the clause.
 */
import type { HttpAnswer, TokenAnswer } from '../../harness/oauth/client.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeLogin, type UserTokens } from '../../harness/steps/index.ts';

export interface Replayed {
  user: UserTokens & { refreshToken: string };
  rt1: string;
  rt2: string;
  /** The access token the rotation issued (with RT2). */
  at2: string;
  /** The issuer's answer to RT1 presented again. */
  replay: HttpAnswer<TokenAnswer>;
  /** Called between the rotation and the replay (R07 looks at the access token while it is live). */
}

export async function rotateAndReplay(t: CheckContext, beforeReplay?: (at2: string) => Promise<void>): Promise<Replayed> {
  const user = await t.steps.userRefreshToken();
  t.note(describeLogin(user));
  const rt1 = user.refreshToken;
  const rotated = await t.steps.refreshOk(rt1, { auth: user.auth });
  const rt2 = rotated.refresh_token;
  if (!rt2 || rt2 === rt1) {
    const declared = t.profile.issuer?.capabilities?.includes('refresh_rotation') ?? false;
    if (declared)
      t.fail(
        `the profile declares refresh_rotation, but refreshing ${rt2 ? 'returned the same refresh token' : 'returned no new refresh token'}`,
      );
    if (user.auth.method === 'none')
      t.fail(
        'the public client got no new refresh token: RFC 9700 §4.14.2 requires rotation (or sender-constrained refresh tokens) for public clients',
      );
    t.skip(
      `the ${user.clientName} client's refresh tokens do not rotate (${rt2 ? 'the same token comes back' : 'no new token comes back'}), and the profile does not declare refresh_rotation: rotation is required only for public clients (RFC 9700 §2.2.2, §4.14.2)`,
    );
  }
  t.note('the refresh rotated RT1 to RT2');
  await beforeReplay?.(rotated.access_token);
  const replay = await t.steps.refresh(rt1, { auth: user.auth });
  return { user, rt1, rt2, at2: rotated.access_token, replay };
}
