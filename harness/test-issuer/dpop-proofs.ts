/**
 * DPoP proofs (RFC 9449 §4) for the replay suite: a valid proof for one request and its one-step
 * changes (P03–P06). The access token they accompany comes from the forger (`dpopBound(jkt)`),
 * so the resource server checks the binding against a key it can verify.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { assemble, b64url, type JwsAlg, segment, signCompact, split } from './compact.ts';
import type { Expectation } from './variations.ts';

export interface DpopKey {
  alg: 'ES256' | 'RS256' | 'EdDSA';
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface ForgedProof {
  name: string;
  /** The CHECKS.md replay id it serves (`P05`). */
  check: string;
  proof: string;
  expect: Expectation;
  description: string;
}

export interface DpopRequest {
  htm: string;
  htu: string;
  /** The access token the proof accompanies (its hash goes into `ath`). */
  accessToken: string;
  nowSeconds: number;
  /** A server nonce to carry (RFC 9449 §9), when the resource server demands one. */
  nonce?: string;
}

export function generateDpopKey(): DpopKey {
  return { alg: 'ES256', ...generateKeyPairSync('ec', { namedCurve: 'P-256' }) };
}

export function publicJwkOf(key: DpopKey): JWK {
  return key.publicKey.export({ format: 'jwk' }) as JWK;
}

/** The cnf.jkt value binding a token to this key (RFC 9449 §6.1). */
export function jktOf(key: DpopKey): Promise<string> {
  return calculateJwkThumbprint(publicJwkOf(key), 'sha256');
}

export function athOf(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url');
}

export interface ProofOptions {
  header?: Record<string, unknown>;
  /** Claim overrides; a member set to `undefined` is removed. */
  claims?: Record<string, unknown>;
}

/** One proof; valid for `request` unless the overrides make it otherwise. */
export function dpopProofFor(key: DpopKey, request: DpopRequest, options: ProofOptions = {}): string {
  const header = { typ: 'dpop+jwt', alg: key.alg, jwk: publicJwkOf(key), ...options.header };
  const claims: Record<string, unknown> = {
    jti: randomBytes(16).toString('base64url'),
    htm: request.htm,
    htu: request.htu,
    iat: request.nowSeconds,
    ath: athOf(request.accessToken),
    ...(request.nonce !== undefined && { nonce: request.nonce }),
  };
  for (const [name, value] of Object.entries(options.claims ?? {})) {
    if (value === undefined) delete claims[name];
    else claims[name] = value;
  }
  return signCompact(header, claims, key.alg as JwsAlg, key.privateKey);
}

/** The valid proof and its variations for one request; `otherKey` signs the proof whose key is not the bound one. */
export function forgeDpopProofs(key: DpopKey, request: DpopRequest, otherKey: DpopKey = generateDpopKey()): ForgedProof[] {
  const out: ForgedProof[] = [];
  const add = (check: string, name: string, expect: Expectation, proof: string, description: string) =>
    out.push({ name, check, proof, expect, description });
  const proof = (options?: ProofOptions) => dpopProofFor(key, request, options);
  const url = new URL(request.htu);

  add('P01', 'valid', 'accept', proof(), 'a valid proof for this request');

  add(
    'P03',
    'htm-mismatch',
    'reject',
    proof({ claims: { htm: request.htm === 'GET' ? 'POST' : 'GET' } }),
    'htm names another method',
  );
  add(
    'P03',
    'htu-other-path',
    'reject',
    proof({ claims: { htu: new URL('other', withSlash(url)).href } }),
    'htu names another path',
  );
  add(
    'P03',
    'htu-case',
    'accept',
    proof({ claims: { htu: request.htu.replace(url.origin, url.origin.toUpperCase()) } }),
    'htu differs only in the case of scheme and host (RFC 9449 §4.3 compares them normalised)',
  );
  add('P03', 'htu-with-query', 'accept', proof({ claims: { htu: `${url.origin}${url.pathname}?x=1` } }), 'htu carries a query');
  add(
    'P03',
    'htu-with-fragment',
    'accept',
    proof({ claims: { htu: `${url.origin}${url.pathname}#f` } }),
    'htu carries a fragment',
  );
  if (url.port === '') {
    const defaultPort = url.protocol === 'https:' ? 443 : 80;
    add(
      'P03',
      'htu-default-port',
      'accept',
      proof({ claims: { htu: `${url.protocol}//${url.hostname}:${defaultPort}${url.pathname}` } }),
      'htu spells out the default port',
    );
  }

  add('P04', 'iat-past-300', 'reject', proof({ claims: { iat: request.nowSeconds - 300 } }), 'iat 300 s in the past');
  add('P04', 'iat-future-300', 'reject', proof({ claims: { iat: request.nowSeconds + 300 } }), 'iat 300 s in the future');
  add('P04', 'iat-past-10', 'accept', proof({ claims: { iat: request.nowSeconds - 10 } }), 'iat 10 s in the past');
  add('P04', 'iat-future-10', 'accept', proof({ claims: { iat: request.nowSeconds + 10 } }), 'iat 10 s in the future');

  add('P05', 'ath-missing', 'reject', proof({ claims: { ath: undefined } }), 'no ath although an access token is presented');
  add('P05', 'ath-wrong', 'reject', proof({ claims: { ath: athOf(`${request.accessToken}x`) } }), 'ath hashes another token');
  add('P05', 'key-not-bound', 'reject', dpopProofFor(otherKey, request), "a valid proof by a key other than the token's cnf.jkt");

  const privateJwk = key.privateKey.export({ format: 'jwk' }) as JWK;
  add('P06', 'jwk-private', 'reject', proof({ header: { jwk: privateJwk } }), 'the jwk header carries the private key');
  add('P06', 'jwk-missing', 'reject', proof({ header: { jwk: undefined } }), 'no jwk header');
  add('P06', 'typ-jwt', 'reject', proof({ header: { typ: 'JWT' } }), 'typ JWT instead of dpop+jwt');
  const claims = JSON.parse(Buffer.from(split(proof()).payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  add(
    'P06',
    'alg-none',
    'reject',
    assemble(segment({ typ: 'dpop+jwt', alg: 'none', jwk: publicJwkOf(key) }), segment(claims), ''),
    'alg none, no signature',
  );
  const secret = randomBytes(32);
  add(
    'P06',
    'alg-hs256',
    'reject',
    signCompact({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: b64url(secret) } }, claims, 'HS256', secret),
    'HS256 with a symmetric jwk',
  );
  const valid = split(proof());
  const flipped = Buffer.from(valid.signature, 'base64url');
  flipped[flipped.length >> 1]! ^= 0x01;
  add('P06', 'signature-bad', 'reject', assemble(valid.header, valid.payload, flipped), 'one bit of the signature flipped');
  add('P06', 'jti-missing', 'reject', proof({ claims: { jti: undefined } }), 'no jti');
  add('P06', 'htm-missing', 'reject', proof({ claims: { htm: undefined } }), 'no htm');
  add('P06', 'htu-missing', 'reject', proof({ claims: { htu: undefined } }), 'no htu');
  return out;
}

function withSlash(url: URL): URL {
  const copy = new URL(url.href);
  if (!copy.pathname.endsWith('/')) copy.pathname += '/';
  return copy;
}
