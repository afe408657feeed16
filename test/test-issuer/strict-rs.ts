/**
 * A model of a correct resource server's token check, built from jose: the yardstick the forger's
 * tests measure forgeries against. A "reject" forgery must fail it, an "accept" one must pass.
 */
import { type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';

export interface StrictRsOptions {
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  algorithms: string[];
}

export async function verifyLikeStrictRs(token: string, options: StrictRsOptions): Promise<JWTPayload> {
  // Canonical compact form only (RFC 7515 §7.1): three unpadded base64url segments.
  const segments = token.split('.');
  if (segments.length !== 3 || segments.some((part) => !/^[A-Za-z0-9_-]+$/.test(part))) {
    throw new Error('not a canonical compact JWS');
  }
  const { payload } = await jwtVerify(token, options.keys, {
    algorithms: options.algorithms,
    issuer: options.issuer,
    audience: options.audience,
    typ: 'at+jwt',
    requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
    clockTolerance: 30,
  });
  // RFC 9068 §2.2: these are strings; a claim of another type is a malformed token, not a match.
  for (const claim of ['sub', 'client_id', 'jti']) {
    if (typeof payload[claim] !== 'string') throw new Error(`${claim} is not a string`);
  }
  if (payload.scope !== undefined && typeof payload.scope !== 'string') throw new Error('scope is not a string');
  return payload;
}

/** The reason a strict RS refuses a token, or undefined when it accepts it. */
export async function strictRsRefusal(token: string, options: StrictRsOptions): Promise<string | undefined> {
  try {
    await verifyLikeStrictRs(token, options);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
