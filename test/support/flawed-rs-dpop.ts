/**
 * The DPoP flaws of the flawed resource server (test/support/flawed-rs-errors.ts): one rule of
 * the real verifier (harness/oauth/dpop.ts) or of the reference RS's authorize() switched off
 * while a flawed RS is exercised. A test file that uses them mocks those two modules with
 * `flawedDpopModule` / `flawedAuthorizeModule`; this file imports neither at run time, so the
 * mock factories can load it while the modules they replace are being loaded.
 */
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import type * as DpopModule from '../../harness/oauth/dpop.ts';
import { OAuthError } from '../../harness/oauth/oauth-error.ts';
import type * as AuthorizeModule from '../../harness/reference/resource-server/authorize.ts';
import { ResourceError } from '../../harness/reference/resource-server/resource-error.ts';

/** One DPoP rule the real verifier skips while the flaw is active. */
export type DpopFlaw =
  | 'ignore-htm'
  | 'ignore-htu'
  | 'ignore-ath'
  | 'ignore-key-binding'
  /** htu compared as a plain string: no normalisation, query and fragment not ignored. */
  | 'strict-htu'
  /** Decodes the proof instead of verifying it: no signature, typ, alg or jwk checks. */
  | 'decode-not-verify'
  /** A DPoP-bound token sent as Bearer is let through (the binding is checked only for the DPoP scheme). */
  | 'bearer-downgrade';

/** The DPoP flaws active right now (the mocked modules read it; one flawed RS is exercised at a time). */
export const dpopFlaws = new Set<DpopFlaw>();

const dpopFail = (why: string) => new OAuthError('invalid_token', `DPoP proof ${why}`, 401);

/** harness/oauth/dpop.ts with the active DPoP flaw applied to the real verifier's input. */
export function flawedDpopModule(original: typeof DpopModule): typeof DpopModule {
  return {
    ...original,
    async verifyDpopProof(check) {
      const proof = typeof check.proof === 'string' ? check.proof : undefined;
      const claims = (() => {
        try {
          return proof ? (decodeJwt(proof) as Record<string, unknown>) : {};
        } catch {
          return {};
        }
      })();
      if (dpopFlaws.has('ignore-htm') && typeof claims.htm === 'string')
        return original.verifyDpopProof({ ...check, method: claims.htm });
      if (dpopFlaws.has('ignore-htu') && typeof claims.htu === 'string')
        return original.verifyDpopProof({ ...check, url: claims.htu });
      if (dpopFlaws.has('strict-htu') && claims.htu !== check.url) throw dpopFail('htu is not the request URL, byte for byte');
      if (dpopFlaws.has('ignore-ath')) {
        const { accessToken: _ignored, ...rest } = check;
        return original.verifyDpopProof(rest);
      }
      if (dpopFlaws.has('ignore-key-binding')) {
        const { expectedJkt: _ignored, ...rest } = check;
        return original.verifyDpopProof(rest);
      }
      if (dpopFlaws.has('decode-not-verify') && proof) {
        // What a verifier that calls decode() instead of verify() still checks: the claims.
        const header = decodeProtectedHeader(proof);
        const jwk = header.jwk as JWK | undefined;
        if (!jwk) throw dpopFail('has no jwk header');
        if (claims.htm !== check.method) throw dpopFail('htm');
        if (typeof claims.htu !== 'string' || original.normalizeHtu(claims.htu) !== original.normalizeHtu(check.url))
          throw dpopFail('htu');
        if (typeof claims.iat !== 'number' || Math.abs(claims.iat - check.nowSeconds) > check.maxSkewSeconds)
          throw dpopFail('iat');
        if (check.accessToken !== undefined && claims.ath !== original.accessTokenHash(check.accessToken)) throw dpopFail('ath');
        const jkt = await calculateJwkThumbprint(jwk, 'sha256');
        if (check.expectedJkt !== undefined && jkt !== check.expectedJkt) throw dpopFail('binding');
        return { jkt, jti: String(claims.jti) };
      }
      return original.verifyDpopProof(check);
    },
  };
}

/** The reference RS's authorize() with the bearer-downgrade flaw: a bound token's binding is skipped for the Bearer scheme. */
export function flawedAuthorizeModule(original: typeof AuthorizeModule): typeof AuthorizeModule {
  return {
    ...original,
    async authorize(ctx, request, credentials) {
      try {
        return await original.authorize(ctx, request, credentials);
      } catch (error) {
        const downgrade = error instanceof ResourceError && error.reason === 'dpop_downgrade';
        // The token passed every other check before the binding was looked at, and sits in the verified-token cache.
        const verified = downgrade && dpopFlaws.has('bearer-downgrade') ? ctx.tokenCache?.get(credentials.token) : undefined;
        if (verified) return verified;
        throw error;
      }
    },
  };
}
