/**
 * The token forger: a valid RFC 9068 access token for the resource server under test, signed by
 * a key the server trusts, and the one-step changes of it that the rs-claims checks send. Each
 * change keeps everything else valid, so a refusal is proof of the one check it targets.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import { type JwsAlg, type SignOptions, signCompact } from './compact.ts';
import type { KeyRing, TestKey, TestKeyAlg } from './keys.ts';

/** Claim or header overrides; a member set to `undefined` is removed. */
export type Overrides = Record<string, unknown>;

export interface ForgerOptions {
  issuer: string;
  audience: string;
  scope: string;
  subject: string;
  clientId: string;
  ttlSeconds: number;
  keys: KeyRing;
  clock: Clock;
  /** The algorithm whose current key signs when no key is named. */
  defaultAlg: TestKeyAlg;
  /** The header `typ` of every token unless a case says otherwise; default at+jwt (RFC 9068 §2.1). */
  typ?: string;
}

export interface TokenOptions {
  claims?: Overrides;
  header?: Overrides;
  /** Signing key; the current key of `defaultAlg` unless given. */
  key?: TestKey;
  /** The JWS alg written in the header and used to sign; the key's own alg unless given. */
  alg?: JwsAlg;
  sign?: SignOptions;
}

export interface Forger {
  readonly options: ForgerOptions;
  nowSeconds(): number;
  /** The baseline claim set: iss, sub, aud, exp = now + ttl, iat, nbf, jti, client_id, scope. */
  claims(overrides?: Overrides): Record<string, unknown>;
  /** The baseline protected header for a key: alg, typ (at+jwt unless the forger was made for another), kid. */
  header(key: TestKey, alg?: JwsAlg, overrides?: Overrides): Record<string, unknown>;
  /** A signed access token; valid unless the options make it otherwise. */
  accessToken(options?: TokenOptions): string;
  /** exp = now + seconds (negative: expired that long ago); iat and nbf follow so only exp matters. Leeway probes (S29). */
  expiringIn(seconds: number, options?: TokenOptions): string;
  /** nbf = now + seconds; exp stays a full lifetime after nbf so only nbf matters. Leeway probes (S29). */
  notBeforeIn(seconds: number, options?: TokenOptions): string;
  /** A token bound to a DPoP key (cnf.jkt, RFC 9449 §6.1). */
  dpopBound(jkt: string, options?: TokenOptions): string;
  /** Signed by a never-published `alg` key under a kid nobody has seen: each call a new kid (S12 refetch counting). */
  unknownKidToken(alg?: TestKeyAlg, options?: TokenOptions): Promise<string>;
  /**
   * The same forger with another baseline `typ`: the rs-claims matrix against an RS that accepts
   * only `JWT` (Spring Security's default) still proves every other rule.
   */
  withTyp(typ: string): Forger;
}

export function applyOverrides(base: Record<string, unknown>, overrides: Overrides = {}): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete result[name];
    else result[name] = value;
  }
  return result;
}

export function createForger(options: ForgerOptions): Forger {
  const nowSeconds = () => options.clock.nowSeconds();
  const forger: Forger = {
    options,
    nowSeconds,
    claims(overrides) {
      const now = nowSeconds();
      return applyOverrides(
        {
          iss: options.issuer,
          sub: options.subject,
          aud: options.audience,
          exp: now + options.ttlSeconds,
          iat: now,
          nbf: now,
          jti: randomBytes(16).toString('base64url'),
          client_id: options.clientId,
          scope: options.scope,
        },
        overrides,
      );
    },
    header(key, alg, overrides) {
      return applyOverrides({ alg: alg ?? key.alg, typ: options.typ ?? 'at+jwt', kid: key.kid }, overrides);
    },
    accessToken(tokenOptions = {}) {
      const key = tokenOptions.key ?? options.keys.current(options.defaultAlg);
      const alg = tokenOptions.alg ?? key.alg;
      const header = forger.header(key, alg, tokenOptions.header);
      return signCompact(header, forger.claims(tokenOptions.claims), alg, key.privateKey, tokenOptions.sign);
    },
    expiringIn(seconds, tokenOptions = {}) {
      const exp = nowSeconds() + seconds;
      const iat = exp - options.ttlSeconds;
      return forger.accessToken({ ...tokenOptions, claims: { iat, nbf: iat, exp, ...tokenOptions.claims } });
    },
    notBeforeIn(seconds, tokenOptions = {}) {
      const nbf = nowSeconds() + seconds;
      const iat = Math.min(nowSeconds(), nbf);
      return forger.accessToken({ ...tokenOptions, claims: { iat, nbf, exp: nbf + options.ttlSeconds, ...tokenOptions.claims } });
    },
    dpopBound(jkt, tokenOptions = {}) {
      return forger.accessToken({ ...tokenOptions, claims: { cnf: { jkt }, ...tokenOptions.claims } });
    },
    async unknownKidToken(alg = options.defaultAlg, tokenOptions = {}) {
      const untrusted = await options.keys.untrustedKey(alg);
      const kid = `unknown-${randomBytes(6).toString('hex')}`;
      return forger.accessToken({ ...tokenOptions, key: untrusted, header: { kid, ...tokenOptions.header } });
    },
    withTyp(typ) {
      return typ === (options.typ ?? 'at+jwt') ? forger : createForger({ ...options, typ });
    },
  };
  return forger;
}
