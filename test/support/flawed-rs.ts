/**
 * Deliberately broken resource servers, one flaw each, for proving the rs-claims checks. A small
 * test-only RS (node:http and node:crypto, so every validation step can be switched off on its
 * own; a library would not let us break one rule at a time) that trusts the harness test issuer.
 * Without a flaw it validates the way RFC 9068 §4 asks and passes the whole suite (a test says
 * so), so a check that fails against one flaw fails because of that flaw.
 *
 * The flaws are the ones real middleware and tutorials ship: no signature check, alg none, HS/RS
 * key confusion, one claim ignored, header keys trusted, huge leeway, crashes on odd input,
 * JWKS refetch on every request or never, removed keys kept, psychic ECDSA signatures.
 */
import { createHmac, createPublicKey, type KeyObject, timingSafeEqual, verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  type AsymmetricAlgorithm,
  algorithmsForJwk,
  isAsymmetricAlgorithm,
  jwsAlgorithms,
  signatureKeyInput,
} from '../../harness/oauth/algorithms.ts';
import { type ProfileInput, profileSchema } from '../../harness/profile/schema.ts';
import type { Target } from '../../harness/runner/target.ts';
import type { RunningTestIssuer } from '../../harness/test-issuer/server.ts';

export const rsFlaws = [
  /** S03: decodes the claims, never verifies the signature ("temporarily", as some guides say). */
  'no-signature-check',
  /** S02: alg none in any spelling is taken as "no signature needed". */
  'alg-none',
  /** S04: HS256/384/512 verified with the published public key's PEM text as the secret. */
  'hs-key-confusion',
  /** S05: also accepts HS256 under a development shared secret, "secret". */
  'hs-shared-secret',
  /** S06: ECDSA r = s = 0 verifies anything (Java's CVE-2022-21449). */
  'psychic-ecdsa',
  /** S07: any algorithm the key can do, no allow-list. */
  'any-alg',
  /** S08: a jwk header is a key to verify with. */
  'embedded-jwk',
  /** S09: fetches the jku / x5u URL from the header and trusts what it gets. */
  'fetches-jku',
  /** S10: the x5c certificate's key verifies the token. */
  'trusts-x5c',
  /** S11: the kid names a key file; HS256 with its contents. */
  'kid-file',
  /** S12: fetches the JWKS again for every token. */
  'refetch-every-request',
  /**
   * S13: the JWK's use and alg members are not looked at (Microsoft.IdentityModel's way): keys
   * marked use:enc, or advertised for another alg, verify signatures too; the kty must still fit.
   */
  'ignores-key-use',
  /** S14: a key once seen is kept forever, even after the issuer removed it. */
  'keeps-removed-keys',
  /** S15 (and S14): loads the JWKS once at start, never again. */
  'never-refreshes',
  'ignores-exp',
  'ignores-nbf',
  'ignores-aud',
  'ignores-iss',
  /** S20: any typ (golang-jwt, PyJWT, jsonwebtoken do this). */
  'ignores-typ',
  /** S01: Spring Security 7's default: typ JWT (or none) only, at+jwt refused. */
  'jwt-typ-only',
  /** S21: any typ ending in +jwt (logout+jwt, dpop+jwt accepted). */
  'typ-suffix-only',
  /** S22: crit and b64 are ignored. */
  'ignores-crit',
  /** S22 (warn): an empty crit list is taken as no crit (RFC 7515 §4.1.11 lets a recipient). */
  'accepts-empty-crit',
  /** S23: the first of duplicate members wins. */
  'first-duplicate-wins',
  /** S24: scope.split(' ') on whatever scope is: a server error for a non-string. */
  'crashes-on-odd-claims',
  /** S24 (warn): scope may be an array of strings too (Spring's authorities converter). */
  'scope-array',
  /** S25, S28: decodes before it validates: a server error on a malformed token or a JWE. */
  'crashes-on-malformed',
  /** S26: any base64 (padding, + and /). */
  'lenient-base64',
  /** S27: accepts headers up to 2 MiB and fails with 500 on tokens over 64 KiB. */
  'crashes-on-huge-token',
  /** S27 (passes): a gateway in front refuses tokens over 4 KiB with 403 (Envoy ext_authz, nginx auth_request). */
  'huge-token-403',
  /** S27: a gateway in front answers tokens over 4 KiB with 429, a rate limit: not a refusal of the token. */
  'huge-token-429',
  /** Every refusal: the token is quoted back in the body. */
  'echoes-token',
  /** S01: refuses every token. */
  'refuses-everything',
] as const;
export type RsFlaw = (typeof rsFlaws)[number];

export interface FlawedRsOptions {
  testIssuer: RunningTestIssuer;
  audience: string;
  scope?: string;
  flaw?: RsFlaw;
  /** Seconds of exp/nbf tolerance; 30 by default (S29 flaws: 120, 600). */
  leewaySeconds?: number;
}

/** What the target profile declares: it refreshes its keys every second, so 3 s is honest (S14, S15). */
export const flawedRsJwksCacheWindow = '3s';

export interface FlawedRs {
  url: string;
  protectedUrl: string;
  /** A trusts-harness target for it. */
  target(extra?: Partial<ProfileInput>): Target;
  close(): Promise<void>;
}

class Refused extends Error {}

type Jwk = Record<string, unknown>;
const refetchCooldownMs = 1000;
const refreshIntervalMs = 1000;
const allowList: AsymmetricAlgorithm[] = ['RS256', 'ES256'];
const keyDirectory = '/tmp/tokenproof-flawed-rs-keys';

export async function startFlawedRs(options: FlawedRsOptions): Promise<FlawedRs> {
  const flaw = options.flaw;
  const { testIssuer, audience } = options;
  const scope = options.scope ?? 'read';
  const leeway = options.leewaySeconds ?? 30;
  let keys = new Map<string, Jwk>();
  let lastRefetch = Number.NEGATIVE_INFINITY;

  async function loadJwks(): Promise<void> {
    const response = await fetch(testIssuer.jwksUri, { signal: AbortSignal.timeout(2000) });
    const body = (await response.json()) as { keys?: Jwk[] };
    const fetched = new Map((body.keys ?? []).map((jwk) => [String(jwk.kid), jwk]));
    keys = flaw === 'keeps-removed-keys' ? new Map([...keys, ...fetched]) : fetched;
  }
  await loadJwks();
  const refresher =
    flaw === 'never-refreshes' ? undefined : setInterval(() => void loadJwks().catch(() => {}), refreshIntervalMs);
  refresher?.unref();

  async function keyFor(header: Jwk, alg: string): Promise<KeyObject> {
    if (flaw === 'embedded-jwk' && header.jwk && typeof header.jwk === 'object')
      return createPublicKey({ key: header.jwk as never, format: 'jwk' });
    if (flaw === 'trusts-x5c' && Array.isArray(header.x5c))
      return new X509Certificate(Buffer.from(String(header.x5c[0]), 'base64')).publicKey;
    if (flaw === 'fetches-jku' && typeof (header.jku ?? header.x5u) === 'string') {
      const response = await fetch(String(header.jku ?? header.x5u), { signal: AbortSignal.timeout(2000) });
      if (header.x5u) return new X509Certificate(await response.text()).publicKey;
      const fetched = ((await response.json()) as { keys: Jwk[] }).keys;
      const jwk = fetched.find((candidate) => candidate.kid === header.kid) ?? fetched[0];
      return createPublicKey({ key: jwk as never, format: 'jwk' });
    }
    const kid = String(header.kid);
    if (flaw === 'refetch-every-request') await loadJwks();
    else if (!keys.has(kid) && flaw !== 'never-refreshes' && performance.now() - lastRefetch > refetchCooldownMs) {
      lastRefetch = performance.now();
      await loadJwks();
    }
    const jwk = keys.get(kid);
    if (!jwk) throw new Refused('unknown kid');
    if (flaw !== 'ignores-key-use') {
      if (jwk.use !== undefined && jwk.use !== 'sig') throw new Refused('not a signing key');
      // With no allow-list the header's alg is taken as is, whatever the key was published for.
      if (flaw !== 'any-alg' && jwk.alg !== undefined && jwk.alg !== alg) throw new Refused('key is for another alg');
    }
    if (!(algorithmsForJwk(jwk) as string[]).includes(alg)) throw new Refused('key type does not fit the alg');
    return createPublicKey({ key: jwk as never, format: 'jwk' });
  }

  function hmacMatches(alg: string, secret: string | Buffer, input: string, signature: Buffer): boolean {
    const hash = jwsAlgorithms[alg as 'HS256'].hash!;
    const expected = createHmac(hash, secret).update(input).digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }

  const decode = (segment: string): Buffer =>
    flaw === 'lenient-base64' ? Buffer.from(segment, 'base64') : Buffer.from(segment, 'base64url');

  function parseObject(bytes: Buffer): Jwk {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new Refused('not JSON');
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Refused('not a JSON object');
    return value as Jwk;
  }

  /** First-wins reading of string members, the way some parsers resolve duplicates. */
  function firstWins(text: string, object: Jwk, names: string[]): Jwk {
    const result = { ...object };
    for (const name of names) {
      const first = new RegExp(`"${name}"\\s*:\\s*("(?:[^"\\\\]|\\\\.)*")`).exec(text);
      if (first) result[name] = JSON.parse(first[1]!);
    }
    return result;
  }

  async function validate(token: string): Promise<Jwk> {
    if (flaw === 'crashes-on-huge-token' && token.length > 64 * 1024) throw new Error('token too large to handle');
    const segments = token.split('.');
    if (flaw === 'crashes-on-malformed') {
      // Decodes first, validates later: anything odd throws before a refusal is possible.
      JSON.parse(Buffer.from(segments[0]!, 'base64url').toString('utf8'));
      JSON.parse(Buffer.from(segments[1]!, 'base64url').toString('utf8'));
      Buffer.from(segments[2]!, 'base64url');
    }
    const pattern = flaw === 'lenient-base64' ? /^[A-Za-z0-9_+/=-]*$/ : /^[A-Za-z0-9_-]*$/;
    if (segments.length !== 3 || !segments.every((segment) => pattern.test(segment))) throw new Refused('not a compact JWS');
    const [headerSegment, payloadSegment, signatureSegment] = segments as [string, string, string];
    const headerText = decode(headerSegment).toString('utf8');
    const payloadText = decode(payloadSegment).toString('utf8');
    let header = parseObject(Buffer.from(headerText));
    let payload = parseObject(Buffer.from(payloadText));
    if (flaw === 'first-duplicate-wins') {
      header = firstWins(headerText, header, ['alg', 'typ']);
      payload = firstWins(payloadText, payload, ['aud', 'iss']);
    }

    const typ = typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : undefined;
    if (flaw === 'jwt-typ-only') {
      if (typ !== undefined && typ !== 'jwt') throw new Refused('typ must be JWT');
    } else if (flaw === 'typ-suffix-only') {
      if (!typ?.endsWith('+jwt')) throw new Refused('not a +jwt type');
    } else if (flaw !== 'ignores-typ' && typ !== 'at+jwt') throw new Refused('typ is not at+jwt');
    const emptyCrit = Array.isArray(header.crit) && header.crit.length === 0;
    const crit = flaw === 'accepts-empty-crit' && emptyCrit ? undefined : header.crit;
    if (flaw !== 'ignores-crit' && (crit !== undefined || (header.b64 !== undefined && header.b64 !== true)))
      throw new Refused('crit is not understood');

    const alg = String(header.alg);
    const input = `${headerSegment}.${payloadSegment}`;
    const signature = decode(signatureSegment);
    if (flaw === 'alg-none' && alg.toLowerCase() === 'none') {
      // accepted without a signature
    } else if (flaw === 'no-signature-check') {
      // never verified
    } else if (
      /^HS(256|384|512)$/.test(alg) &&
      (flaw === 'hs-key-confusion' || flaw === 'hs-shared-secret' || flaw === 'kid-file')
    ) {
      let secret: string | Buffer;
      if (flaw === 'hs-shared-secret') secret = 'secret';
      else if (flaw === 'kid-file') {
        try {
          secret = readFileSync(join(keyDirectory, String(header.kid)));
        } catch {
          throw new Refused('no key file');
        }
      } else {
        const jwk = keys.get(String(header.kid));
        if (!jwk) throw new Refused('unknown kid');
        secret = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      }
      if (!hmacMatches(alg, secret, input, signature)) throw new Refused('bad HMAC');
    } else {
      if (!isAsymmetricAlgorithm(alg) || (flaw !== 'any-alg' && !allowList.includes(alg))) throw new Refused('alg not allowed');
      const key = await keyFor(header, alg);
      const psychic =
        flaw === 'psychic-ecdsa' &&
        alg === 'ES256' &&
        (signature.every((byte) => byte === 0) || signature.equals(Buffer.from('3006020100020100', 'hex')));
      let good = psychic;
      if (!psychic) {
        try {
          good = verify(jwsAlgorithms[alg].hash, Buffer.from(input), signatureKeyInput(alg, key), signature);
        } catch {
          good = false;
        }
      }
      if (!good) throw new Refused('bad signature');
    }

    const claim = (name: string) => (Object.hasOwn(payload, name) ? payload[name] : undefined);
    const now = Date.now() / 1000;
    if (flaw !== 'ignores-iss' && claim('iss') !== testIssuer.url) throw new Refused('iss');
    const aud = claim('aud');
    const audOk =
      typeof aud === 'string'
        ? aud === audience
        : Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string') && aud.includes(audience);
    if (flaw !== 'ignores-aud' && !audOk) throw new Refused('aud');
    const exp = claim('exp');
    if (flaw !== 'ignores-exp' && !(typeof exp === 'number' && Number.isFinite(exp) && now < exp + leeway))
      throw new Refused('exp');
    const nbf = claim('nbf');
    if (flaw !== 'ignores-nbf' && nbf !== undefined && !(typeof nbf === 'number' && now + leeway >= nbf))
      throw new Refused('nbf');
    const iat = claim('iat');
    if (iat !== undefined && typeof iat !== 'number') throw new Refused('iat');
    for (const name of ['sub', 'jti', 'client_id'])
      if (claim(name) !== undefined && typeof claim(name) !== 'string') throw new Refused(name);
    const granted = claim('scope');
    if (flaw === 'crashes-on-odd-claims') {
      if (granted !== undefined && !(granted as string).split(' ').includes(scope)) throw new Refused('scope');
    } else if (flaw === 'scope-array' && Array.isArray(granted)) {
      if (!granted.every((value) => typeof value === 'string')) throw new Refused('scope');
    } else if (granted !== undefined && typeof granted !== 'string') throw new Refused('scope');
    return payload;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    request.resume();
    const send = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    if ((request.url ?? '/').split('?')[0] === '/health') return send(200, { ok: true });
    const match = /^Bearer +(\S*)$/i.exec(request.headers.authorization ?? '');
    if (!match) return send(401, { error: 'no token' }, { 'www-authenticate': 'Bearer realm="flawed"' });
    const token = match[1]!;
    if (!token) return send(400, { error: 'invalid_request' }, { 'www-authenticate': 'Bearer error="invalid_request"' });
    if ((flaw === 'huge-token-403' || flaw === 'huge-token-429') && token.length > 4096)
      return send(flaw === 'huge-token-403' ? 403 : 429, { error: flaw === 'huge-token-403' ? 'forbidden' : 'slow down' });
    try {
      if (flaw === 'refuses-everything') throw new Refused('refuses everything');
      const claims = await validate(token);
      const granted =
        typeof claims.scope === 'string' ? claims.scope.split(' ') : Array.isArray(claims.scope) ? claims.scope : [];
      if (!granted.includes(scope))
        return send(
          403,
          { error: 'insufficient_scope' },
          { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
        );
      send(200, { sub: claims.sub ?? null });
    } catch (error) {
      if (!(error instanceof Refused)) return send(500, { error: 'server_error' });
      send(
        401,
        { error: 'invalid_token', ...(flaw === 'echoes-token' && { error_description: `invalid token ${token}` }) },
        {
          'www-authenticate': 'Bearer error="invalid_token"',
        },
      );
    }
  }

  const server = createServer(
    {
      maxHeaderSize:
        flaw === 'crashes-on-huge-token' || flaw === 'huge-token-403' || flaw === 'huge-token-429' ? 2 * 1024 * 1024 : 16 * 1024,
    },
    (request, response) => {
      handle(request, response).catch(() => {
        if (!response.headersSent) response.writeHead(500).end();
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const protectedUrl = `${url}/protected`;
  return {
    url,
    protectedUrl,
    target(extra = {}) {
      const profile = profileSchema.parse({
        name: `flawed resource server${flaw ? ` (${flaw})` : ''}`,
        resourceServer: { url: protectedUrl, audience, scope, trusts: 'harness', jwksCacheWindow: flawedRsJwksCacheWindow },
        ...extra,
      });
      return { name: profile.name, profile, baseDir: process.cwd(), testIssuer };
    },
    async close() {
      if (refresher) clearInterval(refresher);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
