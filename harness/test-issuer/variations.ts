/**
 * The named forgeries of shared/CHECKS.md rs-claims (S01–S28), each a one-step change of the
 * forger's valid token. Every entry says which check it serves, what a correct resource server
 * does with it, and why, so a suite can iterate the list and report in the reader's terms.
 * Leeway probing (S29), key removal (S14) and rotation (S15) need state over time and use the
 * forger and the key ring directly instead.
 */
import { randomBytes } from 'node:crypto';
import { CompactEncrypt } from 'jose';
import { algorithmsForJwk, hmacAlgorithms } from '../oauth/algorithms.ts';
import { assemble, b64url, decodeSegment, segment, signCompact, signRaw, split } from './compact.ts';
import type { Forger } from './forge.ts';
import type { AttackerKey, KeyRing, TestKey } from './keys.ts';

export type Expectation = 'accept' | 'reject';

export interface ForgedToken {
  /** Stable, unique name (`alg-NONE`); safe to print, unlike the token. */
  name: string;
  /** The CHECKS.md rs-claims id it serves (`S02`). */
  check: string;
  token: string;
  expect: Expectation;
  /**
   * How much it matters when the RS gets this case wrong by accepting it: MUST (the default, the
   * check's level) or SHOULD where the RFC leaves accepting it to the recipient (a warning). A
   * server error or an echoed token is a MUST failure whatever the case's level.
   */
  level?: 'MUST' | 'SHOULD';
  description: string;
}

export interface VariationContext {
  forger: Forger;
  keys: KeyRing;
  attacker: AttackerKey;
  /** The fetch listener: its URLs go into jku/x5u headers. */
  listener: { url(path: string): string };
  /** The algorithms the resource server accepts; by default the algs of the published signing keys. */
  allowedAlgs?: readonly string[];
  /**
   * The `typ` every case carries unless it is about typ (S20, S21): at+jwt by default; `JWT` for an
   * RS that accepts only that, so its refusals still prove the rule each case is about.
   */
  typ?: string;
}

// The order n of P-256: an ECDSA r or s must lie in [1, n-1] (RFC 7518 §3.4 via FIPS 186-4).
const p256Order = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');

interface Resolved extends Required<VariationContext> {
  /** The current key of the first published alg on the allow-list: it signs every claim, header and parsing case. */
  primary: TestKey;
  rsa: TestKey | undefined;
  ec: TestKey | undefined;
}

type Group = (context: Resolved, add: AddFn) => void | Promise<void>;
type AddFn = (check: string, name: string, expect: Expectation, token: string, description: string, level?: 'SHOULD') => void;

export async function forgeVariations(context: VariationContext): Promise<ForgedToken[]> {
  const signing = currentKeys(context.keys).filter((key) => key.use === 'sig' && key.publicJwk.alg === key.alg);
  const allowedAlgs = context.allowedAlgs ?? signing.map((key) => key.alg);
  const primary = signing.find((key) => allowedAlgs.includes(key.alg));
  if (!primary) {
    throw new Error(`the test issuer publishes no signing key for the allowed algorithms (${allowedAlgs.join(', ')})`);
  }
  const typ = context.typ ?? 'at+jwt';
  const full: Resolved = {
    ...context,
    forger: context.forger.withTyp(typ),
    typ,
    allowedAlgs,
    primary,
    rsa: context.keys.maybeCurrent('RS256'),
    ec: context.keys.maybeCurrent('ES256'),
  };
  const out: ForgedToken[] = [];
  const names = new Set<string>();
  const add: AddFn = (check, name, expect, token, description, level) => {
    if (names.has(name)) throw new Error(`duplicate forged-token name ${name}`);
    names.add(name);
    out.push({ name, check, token, expect, description, ...(level && { level }) });
  };
  for (const group of groups) await group(full, add);
  return out;
}

/** The newest published signing key of every alg, in publication order. */
function currentKeys(keys: KeyRing): TestKey[] {
  const algs = [...new Set(keys.publishedKeys().map((key) => key.alg))];
  return algs.flatMap((alg) => keys.maybeCurrent(alg) ?? []);
}

/** Rebuilds a token with new header or payload segments and the original signature. */
function withSegments(token: string, parts: { header?: string; payload?: string; signature?: string }): string {
  const original = split(token);
  return assemble(parts.header ?? original.header, parts.payload ?? original.payload, parts.signature ?? original.signature);
}

function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return assemble(segment(header), segment(payload), '');
}

/** Appends a raw `"name":value` member to serialised JSON, so the name can occur twice. */
function withDuplicate(value: Record<string, unknown>, name: string, duplicate: unknown): string {
  const text = JSON.stringify(value);
  return `${text.slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(duplicate)}}`;
}

/** S11: kid values that reach a file system, a database or a shell in a careless RS (name, kid, what). */
export const kidInjections: readonly (readonly [string, string, string])[] = [
  ['kid-path-traversal', '../../../../../../../../../../dev/null', 'path traversal to an empty file'],
  ['kid-sql-injection', "x' UNION SELECT '' -- ", 'SQL injection selecting an empty key'],
  ['kid-command-injection', '/dev/null; sleep 5 #', 'shell command after a path'],
  ['kid-command-substitution', '$(sleep 5)', 'shell command substitution'],
];

/** S27: the large tokens (name, total size) and the claim that pads a token to about that size. */
export const tokenSizes: readonly (readonly [string, number])[] = [
  ['size-8kib', 8 * 1024],
  ['size-64kib', 64 * 1024],
  ['size-1mib', 1024 * 1024],
];
// base64url grows the claim by 4/3; the rest of the token is well under a kilobyte.
export const sizePadding = (bytes: number) => 'A'.repeat(Math.floor(((bytes - 1024) * 3) / 4));

const signatureAndAlgorithm: Group = ({ forger, keys, allowedAlgs, primary, typ }, add) => {
  for (const key of currentKeys(keys)) {
    if (key.use !== 'sig' || key.publicJwk.alg !== key.alg || !allowedAlgs.includes(key.alg)) continue;
    add('S01', `valid-${key.alg.toLowerCase()}`, 'accept', forger.accessToken({ key }), `a valid ${key.alg} access token`);
  }
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    add('S02', `alg-${alg}`, 'reject', unsigned({ alg, typ }, forger.claims()), `alg "${alg}" with an empty signature`);
  }
  const valid = forger.accessToken({ key: primary });
  add(
    'S02',
    'alg-none-signature-kept',
    'reject',
    withSegments(valid, { header: segment({ alg: 'none', typ, kid: primary.kid }) }),
    "alg none with a trusted key's signature still attached",
  );

  const { signature, payload } = split(valid);
  const altered = Buffer.from(signature, 'base64url');
  altered[altered.length >> 1]! ^= 0x01;
  const claims = decodeSegment(payload);
  const edited = (changes: Record<string, unknown>) => withSegments(valid, { payload: segment({ ...claims, ...changes }) });
  const otherSignature = split(forger.accessToken({ key: primary })).signature;
  add('S03', 'signature-stripped', 'reject', withSegments(valid, { signature: '' }), 'the signature segment is empty');
  add(
    'S03',
    'signature-truncated',
    'reject',
    withSegments(valid, { signature: signature.slice(0, -8) }),
    'the signature lost 6 bytes',
  );
  add(
    'S03',
    'signature-altered',
    'reject',
    withSegments(valid, { signature: b64url(altered) }),
    'one bit of the signature flipped',
  );
  add(
    'S03',
    'signature-from-other-token',
    'reject',
    withSegments(valid, { signature: otherSignature }),
    "another token's signature",
  );
  add(
    'S03',
    'claims-edited-scope',
    'reject',
    edited({ scope: `${claims.scope} admin` }),
    'scope widened under the original signature',
  );
  add('S03', 'claims-edited-sub', 'reject', edited({ sub: 'admin' }), 'sub changed under the original signature');
  add(
    'S03',
    'claims-edited-exp',
    'reject',
    edited({ exp: Number(claims.exp) + 86_400 }),
    'exp extended under the original signature',
  );
};

/** The public-key byte strings a confused server might use as an HMAC secret. */
function publicKeyMaterials(key: TestKey): [string, string | Buffer, string][] {
  const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return [
    ['pem', pem, 'the SPKI PEM text, trailing newline included'],
    ['pem-no-newline', pem.trimEnd(), 'the SPKI PEM text without its trailing newline'],
    ...(key.publicJwk.kty === 'RSA'
      ? [
          ['pkcs1-pem', key.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(), 'the PKCS#1 PEM text'] as [
            string,
            string,
            string,
          ],
        ]
      : []),
    ['der', key.publicKey.export({ type: 'spki', format: 'der' }), 'the SPKI DER bytes'],
    ['jwk-json', JSON.stringify(key.publicJwk), 'the published JWK as JSON text'],
  ];
}

const hmacConfusion: Group = ({ forger, rsa, ec, typ }, add) => {
  for (const [key, label] of [
    [rsa, ''],
    [ec, 'ec-'],
  ] as const) {
    if (!key) continue;
    for (const alg of hmacAlgorithms) {
      for (const [material, secret, what] of publicKeyMaterials(key)) {
        add(
          'S04',
          `${alg.toLowerCase()}-${label}public-key-${material}`,
          'reject',
          signCompact(forger.header(key, alg), forger.claims(), alg, secret),
          `${alg} keyed with the trusted ${key.publicJwk.kty} key's public bytes (${what}) under its kid: RFC 8725 §2.1`,
        );
      }
    }
  }
  const bare = { alg: 'HS256', typ };
  add('S05', 'hs256-empty-key', 'reject', signCompact(bare, forger.claims(), 'HS256', ''), 'HS256 with an empty key');
  add(
    'S05',
    'hs256-weak-secret',
    'reject',
    signCompact(bare, forger.claims(), 'HS256', 'secret'),
    'HS256 with the secret "secret"',
  );
};

const ecdsaSignatures: Group = ({ forger, ec }, add) => {
  if (!ec) return;
  const valid = forger.accessToken({ key: ec });
  const r = Buffer.from(split(valid).signature, 'base64url').subarray(0, 32);
  const withSignature = (bytes: Buffer) => withSegments(valid, { signature: b64url(bytes) });
  add('S06', 'es256-zero-signature', 'reject', withSignature(Buffer.alloc(64)), 'r = s = 0 (CVE-2022-21449)');
  add(
    'S06',
    'es256-zero-signature-der',
    'reject',
    withSignature(Buffer.from('3006020100020100', 'hex')),
    'r = s = 0 in DER form (CVE-2022-21449)',
  );
  add(
    'S06',
    'es256-der-signature',
    'reject',
    forger.accessToken({ key: ec, sign: { dsaEncoding: 'der' } }),
    'a genuine ES256 signature in DER instead of R||S (RFC 7518 §3.4)',
  );
  add('S06', 'es256-r-s-equal-n', 'reject', withSignature(Buffer.concat([p256Order, p256Order])), 'r = s = n: out of range');
  add('S06', 'es256-s-equal-n', 'reject', withSignature(Buffer.concat([r, p256Order])), 'the genuine r with s = n: out of range');
};

const algorithmAllowList: Group = ({ forger, keys, allowedAlgs, rsa, ec }, add) => {
  for (const key of currentKeys(keys)) {
    if (key.use !== 'sig') continue;
    const kty = String(key.publicJwk.kty);
    // What the key can sign with (its kty, and for EC its curve); anything off the allow-list is an S07 case.
    for (const alg of algorithmsForJwk(key.publicJwk)) {
      if (allowedAlgs.includes(alg)) continue;
      add(
        'S07',
        `alg-not-allowed-${alg.toLowerCase()}`,
        'reject',
        forger.accessToken({ key, alg }),
        `signed with ${alg} by the trusted ${kty} key; ${alg} is not on the allow-list (${allowedAlgs.join(', ')})`,
      );
    }
  }
  const swap = (from: TestKey, alg: string) =>
    withSegments(forger.accessToken({ key: from }), { header: segment(forger.header(from, from.alg, { alg })) });
  if (rsa) {
    for (const alg of ['PS256', 'ES256', 'HS256']) {
      add(
        'S07',
        `alg-swap-rs256-to-${alg.toLowerCase()}`,
        'reject',
        swap(rsa, alg),
        `an RS256 token relabelled ${alg}, signature kept`,
      );
    }
  }
  if (ec) add('S07', 'alg-swap-es256-to-rs256', 'reject', swap(ec, 'RS256'), 'an ES256 token relabelled RS256, signature kept');
};

const keySelection: Group = async ({ forger, keys, attacker, listener, primary, rsa, ec, typ }, add) => {
  const byAttacker = (header: Record<string, unknown>) =>
    signCompact({ alg: 'RS256', typ, ...header }, forger.claims(), 'RS256', attacker.privateKey);
  const attackerJwk = attacker.publicJwk;
  add(
    'S08',
    'jwk-header-attacker',
    'reject',
    byAttacker({ kid: attacker.kid, jwk: attackerJwk }),
    'embedded jwk header (CVE-2018-0114)',
  );
  add(
    'S08',
    'jwk-header-attacker-trusted-kid',
    'reject',
    byAttacker({ kid: primary.kid, jwk: attackerJwk }),
    'embedded jwk header under a trusted kid',
  );
  add(
    'S09',
    'jku-listener',
    'reject',
    byAttacker({ kid: attacker.kid, jku: listener.url('/jku/attacker.json') }),
    'jku points at the harness listener, which serves the attacker key; the RS must not fetch it',
  );
  add(
    'S09',
    'jku-listener-trusted-kid',
    'reject',
    byAttacker({ kid: primary.kid, jku: listener.url('/jku/trusted-kid.json') }),
    'jku at the harness listener, under a trusted kid the listener also serves; the RS must not fetch it',
  );
  add(
    'S09',
    'x5u-listener',
    'reject',
    byAttacker({ x5u: listener.url('/x5u/attacker.pem') }),
    'x5u points at the harness listener, which serves a certificate for the attacker key; the RS must not fetch it',
  );
  add(
    'S10',
    'x5c-self-signed',
    'reject',
    byAttacker({ x5c: [attacker.certificateBase64Der] }),
    'x5c carries a self-signed certificate for the signing key',
  );
  add(
    'S10',
    'x5c-self-signed-trusted-kid',
    'reject',
    byAttacker({ kid: primary.kid, x5c: [attacker.certificateBase64Der] }),
    'x5c self-signed certificate under a trusted kid',
  );

  for (const [name, kid, what] of kidInjections) {
    add(
      'S11',
      name,
      'reject',
      signCompact({ alg: 'HS256', typ, kid }, forger.claims(), 'HS256', ''),
      `kid is a ${what}, signed HS256 with an empty key; must be refused without delay or 5xx`,
    );
  }

  add(
    'S12',
    'kid-unknown',
    'reject',
    await forger.unknownKidToken(primary.alg),
    'signed by an unpublished key under a kid nobody has seen',
  );

  for (const key of keys.publishedKeys()) {
    if (key.use === 'enc') {
      // RFC 7517 §4.2: "use" "identifies the intended use of the public key" and puts no
      // requirement on the verifier: refusing it is what CHECKS.md asks, at SHOULD.
      add(
        'S13',
        `kid-enc-key-${key.kid}`,
        'reject',
        forger.accessToken({ key }),
        `signed by the published key ${key.kid}, whose use is "enc" (RFC 7517 §4.2: a SHOULD for the verifier)`,
        'SHOULD',
      );
    } else if (key.publicJwk.alg !== key.alg) {
      add(
        'S13',
        `kid-advertised-alg-mismatch-${key.kid}`,
        'reject',
        forger.accessToken({ key }),
        `signed ${key.alg} by the published key ${key.kid}, which is advertised for ${String(key.publicJwk.alg)}`,
      );
    }
  }
  if (rsa && ec) {
    add(
      'S13',
      'kid-kty-mismatch-es256-rsa-kid',
      'reject',
      signCompact(forger.header(rsa, 'ES256'), forger.claims(), 'ES256', ec.privateKey),
      'alg ES256 (signed by the trusted EC key) under the kid of the RSA key: kty wrong for the alg',
    );
    add(
      'S13',
      'kid-kty-mismatch-rs256-ec-kid',
      'reject',
      signCompact(forger.header(ec, 'RS256'), forger.claims(), 'RS256', rsa.privateKey),
      'alg RS256 (signed by the trusted RSA key) under the kid of the EC key: kty wrong for the alg',
    );
  }
};

// The other-kind cases (id token, logout token, DPoP proof, client assertion) keep the baseline
// scope: an RS that requires one must refuse them for their kind, not for a missing scope.
const claimsAndTyping: Group = ({ forger, primary }, add) => {
  const { issuer, audience } = forger.options;
  const now = forger.nowSeconds();
  const token = (claims: Record<string, unknown>, header?: Record<string, unknown>) =>
    forger.accessToken({ key: primary, claims, ...(header && { header }) });

  add('S16', 'exp-past', 'reject', forger.expiringIn(-3600, { key: primary }), 'expired an hour ago, far beyond any leeway');
  add('S16', 'exp-missing', 'reject', token({ exp: undefined }), 'no exp claim (RFC 9068 §2.2 requires it)');
  add('S16', 'exp-string', 'reject', token({ exp: String(now + 300) }), 'exp is a string, not a NumericDate');
  add('S16', 'exp-zero', 'reject', token({ exp: 0 }), 'exp = 0 (1970)');
  add('S16', 'exp-negative', 'reject', token({ exp: -1 }), 'exp = -1');
  add('S17', 'nbf-future', 'reject', forger.notBeforeIn(3600, { key: primary }), 'not valid for another hour');

  const otherAudience = `${audience}-other`;
  add('S18', 'aud-wrong', 'reject', token({ aud: otherAudience }), 'aud names another resource');
  add('S18', 'aud-missing', 'reject', token({ aud: undefined }), 'no aud claim');
  add('S18', 'aud-empty-array', 'reject', token({ aud: [] }), 'aud is an empty array');
  add('S18', 'aud-star', 'reject', token({ aud: '*' }), 'aud is "*"');
  add('S18', 'aud-array-without-rs', 'reject', token({ aud: [otherAudience, issuer] }), 'aud array that does not contain the RS');
  add('S18', 'aud-array-with-rs', 'accept', token({ aud: [otherAudience, audience] }), 'aud array that contains the RS');
  if (audience.toUpperCase() !== audience) {
    add('S18', 'aud-case-change', 'reject', token({ aud: audience.toUpperCase() }), 'aud differs from the RS only in case');
  }

  add('S19', 'iss-missing', 'reject', token({ iss: undefined }), 'no iss claim');
  add('S19', 'iss-foreign', 'reject', token({ iss: 'https://issuer.invalid' }), 'iss names another issuer');
  const trailing = issuer.endsWith('/') ? issuer.slice(0, -1) : `${issuer}/`;
  add('S19', 'iss-trailing-slash', 'reject', token({ iss: trailing }), 'iss differs from the trusted issuer by a trailing slash');
  if (issuer.toUpperCase() !== issuer) {
    add(
      'S19',
      'iss-case-change',
      'reject',
      token({ iss: issuer.toUpperCase() }),
      'iss differs from the trusted issuer only in case',
    );
  }
  const issuerUrl = new URL(issuer);
  const alias = { '127.0.0.1': 'localhost', localhost: '127.0.0.1' }[issuerUrl.hostname];
  if (alias) {
    const aliased = new URL(issuer);
    aliased.hostname = alias;
    const aliasIss = issuer.endsWith('/') ? aliased.href : aliased.href.replace(/\/$/, '');
    add(
      'S19',
      'iss-host-alias',
      'reject',
      token({ iss: aliasIss }),
      `iss names the same host as ${alias}: not the same identifier`,
    );
  }

  add('S20', 'typ-absent', 'reject', token({}, { typ: undefined }), 'no typ header (RFC 9068 §4 requires at+jwt)');
  add('S20', 'typ-jwt', 'reject', token({}, { typ: 'JWT' }), 'typ JWT');
  add('S20', 'typ-application-jwt', 'reject', token({}, { typ: 'application/jwt' }), 'typ application/jwt');
  add('S20', 'typ-at+jwt', 'accept', token({}, { typ: 'at+jwt' }), 'typ at+jwt');
  add(
    'S20',
    'typ-application-at+jwt',
    'accept',
    token({}, { typ: 'application/at+jwt' }),
    'typ application/at+jwt (RFC 7515 §4.1.9 form)',
  );
  add(
    'S20',
    'id-token-shaped',
    'reject',
    token({ nonce: 'n-0S6_WzA2Mj', azp: forger.options.clientId, auth_time: now - 60, jti: undefined }, { typ: 'JWT' }),
    'an id_token of the trusted issuer (typ JWT, nonce, azp) whose aud is the RS',
  );

  add(
    'S21',
    'logout-token',
    'reject',
    token(
      {
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
        sid: 'sid-1',
        client_id: undefined,
      },
      { typ: 'logout+jwt' },
    ),
    'a back-channel logout token of the trusted issuer, aud the RS',
  );
  add(
    'S21',
    'dpop-proof-shaped',
    'reject',
    token({ htm: 'GET', htu: audience, client_id: undefined }, { typ: 'dpop+jwt', jwk: primary.publicJwk }),
    'a DPoP proof (typ dpop+jwt, htm, htu, jwk header) signed by the trusted key, with iss, aud and exp added',
  );
  add(
    'S21',
    'client-assertion-shaped',
    'reject',
    token(
      {
        iss: forger.options.clientId,
        sub: forger.options.clientId,
        aud: [`${issuer}/token`, audience],
        client_id: undefined,
      },
      { typ: undefined },
    ),
    'a private_key_jwt client assertion (iss = sub = client, no typ) signed by the trusted key, aud includes the RS',
  );

  add(
    'S22',
    'crit-unknown',
    'reject',
    token({}, { crit: ['urn:tokenproof:unknown'], 'urn:tokenproof:unknown': true }),
    'crit lists an extension no one understands (RFC 7515 §4.1.11)',
  );
  // RFC 7515 §4.1.11: "Producers MUST NOT use the empty list" but recipients only "MAY consider
  // the JWS to be invalid": accepting it is allowed, refusing it preferred (SHOULD).
  add(
    'S22',
    'crit-empty',
    'reject',
    token({}, { crit: [] }),
    'crit is an empty list, which RFC 7515 §4.1.11 forbids producers (a recipient MAY refuse it: SHOULD)',
    'SHOULD',
  );
  add(
    'S22',
    'b64-false',
    'reject',
    token({}, { b64: false, crit: ['b64'] }),
    'b64:false in crit (RFC 7797), signed over the ordinary encoded payload: a server that ignores crit accepts it',
  );
};

const duplicateMembers: Group = ({ forger, primary }, add) => {
  const claims = forger.claims();
  const header = forger.header(primary);
  const signed = (headerText: string | Record<string, unknown>, payloadText: string | Record<string, unknown>) =>
    signCompact(headerText, payloadText, primary.alg, primary.privateKey);
  const lastWins = 'a correct parser rejects duplicates or keeps the last (RFC 7515 §5.2), and the last value is wrong';
  add(
    'S23',
    'duplicate-header-alg',
    'reject',
    signed(withDuplicate(header, 'alg', 'none'), claims),
    `"alg" twice, RS256 then none: ${lastWins}`,
  );
  add(
    'S23',
    'duplicate-header-typ',
    'reject',
    signed(withDuplicate(header, 'typ', 'JWT'), claims),
    `"typ" twice, at+jwt then JWT: ${lastWins}`,
  );
  add(
    'S23',
    'duplicate-claim-aud',
    'reject',
    signed(header, withDuplicate(claims, 'aud', `${forger.options.audience}-other`)),
    `"aud" twice, the RS then another resource: ${lastWins}`,
  );
  add(
    'S23',
    'duplicate-claim-iss',
    'reject',
    signed(header, withDuplicate(claims, 'iss', 'https://issuer.invalid')),
    `"iss" twice, the trusted issuer then a foreign one: ${lastWins}`,
  );
};

const typeConfusion: Group = ({ forger, primary }, add) => {
  const base = forger.claims();
  const wrongTypes = (value: unknown): [string, unknown][] => [
    ['null', null],
    ['true', true],
    ['array', [value]],
    ['object', { value }],
  ];
  for (const claim of ['iss', 'sub', 'exp', 'nbf', 'iat', 'jti', 'client_id', 'scope']) {
    for (const [kind, value] of wrongTypes(base[claim])) {
      // An array of exactly the granted scope values grants no more than the string does (RFC 9068
      // §2.2.3 and RFC 8693 §4.2 define the string form; Spring's authorities converter takes a
      // collection too): accepting it is a SHOULD finding. null, true and an object stay MUST.
      const grantedArray = claim === 'scope' && kind === 'array';
      add(
        'S24',
        `type-${claim}-${kind}`,
        'reject',
        forger.accessToken({
          key: primary,
          claims: { [claim]: grantedArray ? String(base.scope).split(' ') : value },
        }),
        grantedArray ? `scope is an array of exactly the granted values (${String(base.scope)})` : `${claim} is ${kind}`,
        ...(grantedArray ? (['SHOULD'] as const) : []),
      );
    }
  }
  const { audience } = forger.options;
  for (const [kind, value] of [
    ['null', null],
    ['true', true],
    ['number', 42],
    ['object', { [audience]: true }],
    ['array-of-number', [42]],
  ] as const) {
    add('S24', `type-aud-${kind}`, 'reject', forger.accessToken({ key: primary, claims: { aud: value } }), `aud is ${kind}`);
  }
  // JSON.parse keeps "__proto__" as an own member; a server that merges claims into another object
  // turns it into the prototype and finds an aud the token does not have.
  const { aud: _aud, ...withoutAud } = base;
  const payload = `${JSON.stringify(withoutAud).slice(0, -1)},"__proto__":${JSON.stringify({ aud: audience })}}`;
  add(
    'S24',
    'proto-aud',
    'reject',
    signCompact(forger.header(primary), payload, primary.alg, primary.privateKey),
    'no aud of its own; "__proto__" carries one: only a server that pollutes prototypes finds it',
  );
};

const parsing: Group = ({ forger, primary }, add) => {
  const valid = forger.accessToken({ key: primary });
  const parts = split(valid);
  const signedRaw = (headerText: string, payloadText: string) => {
    const h = b64url(headerText);
    const p = b64url(payloadText);
    return assemble(h, p, signRaw(primary.alg, primary.privateKey, `${h}.${p}`));
  };
  const headerText = JSON.stringify(forger.header(primary));
  const payloadText = JSON.stringify(forger.claims());
  add('S25', 'segments-two', 'reject', `${parts.header}.${parts.payload}`, 'header.payload, no signature segment');
  add('S25', 'segments-four', 'reject', `${valid}.${parts.signature}`, 'a valid token with a fourth segment');
  add('S25', 'empty', 'reject', '', 'an empty token');
  add('S25', 'dots-only', 'reject', '..', 'three empty segments');
  add(
    'S25',
    'jwe-shaped-garbage',
    'reject',
    [
      segment({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: primary.kid }),
      randomBytes(256),
      randomBytes(12),
      randomBytes(64),
      randomBytes(16),
    ]
      .map((part) => (typeof part === 'string' ? part : b64url(part)))
      .join('.'),
    'five segments shaped like a JWE, random contents',
  );
  add('S25', 'header-not-json', 'reject', signedRaw('{"alg":"RS256",', payloadText), 'header is not JSON (signature valid)');
  add('S25', 'header-json-array', 'reject', signedRaw('["RS256"]', payloadText), 'header is a JSON array (signature valid)');
  add('S25', 'payload-not-json', 'reject', signedRaw(headerText, 'not json'), 'payload is not JSON (signature valid)');
  add('S25', 'payload-json-string', 'reject', signedRaw(headerText, '"a string"'), 'payload is a JSON string (signature valid)');
  add('S25', 'bad-characters', 'reject', `${parts.header}.${parts.payload}!.${parts.signature}`, 'a character outside base64url');

  // Non-canonical encodings, signed over exactly the text sent, so a lenient decoder accepts them.
  let paddedHeader = withPadding(b64url(headerText));
  for (let spaces = 1; !paddedHeader; spaces++)
    paddedHeader = withPadding(b64url(headerText.replace(/}$/, `${' '.repeat(spaces)}}`)));
  add(
    'S26',
    'padding-header',
    'reject',
    assemble(paddedHeader, parts.payload, signRaw(primary.alg, primary.privateKey, `${paddedHeader}.${parts.payload}`)),
    'header segment with "=" padding',
  );
  add(
    'S26',
    'padding-signature',
    'reject',
    withSegments(valid, { signature: withPadding(parts.signature) ?? `${parts.signature}====` }),
    'signature with "=" padding',
  );
  const standardPayload = Buffer.from(JSON.stringify(forger.claims({ note: '?????>>>>>' })))
    .toString('base64')
    .replace(/=+$/, '');
  if (!/[+/]/.test(standardPayload)) throw new Error('standard-base64 payload has no + or / to test');
  add(
    'S26',
    'standard-base64-payload',
    'reject',
    assemble(parts.header, standardPayload, signRaw(primary.alg, primary.privateKey, `${parts.header}.${standardPayload}`)),
    'payload in standard base64 ("+" and "/"), signed as sent',
  );
  add(
    'S26',
    'standard-base64-signature',
    'reject',
    withSegments(valid, { signature: withStandardAlphabet(forger, primary) }),
    'signature in standard base64 ("+" and "/")',
  );
};

/** The base64 padding a decoder would accept, or undefined when the length needs none. */
function withPadding(encoded: string): string | undefined {
  const missing = (4 - (encoded.length % 4)) % 4;
  return missing === 0 ? undefined : encoded + '='.repeat(missing);
}

/** A valid signature whose base64url form contains '-' or '_', re-encoded with '+' and '/'. */
function withStandardAlphabet(forger: Forger, key: TestKey): string {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { signature } = split(forger.accessToken({ key }));
    if (/[-_]/.test(signature)) return signature.replace(/-/g, '+').replace(/_/g, '/');
  }
  throw new Error('no signature with "-" or "_" in 50 attempts');
}

const sizeAndEncryption: Group = async ({ forger, keys, primary, rsa, ec }, add) => {
  const untrusted = await keys.untrustedKey(primary.alg);
  for (const [name, bytes] of tokenSizes) {
    const padding = sizePadding(bytes);
    add(
      'S27',
      name,
      'reject',
      forger.accessToken({ key: untrusted, claims: { padding } }),
      `a ${bytes / 1024} KiB token (signed by an untrusted key): 400/401/413/431 quickly, and the RS keeps serving`,
    );
  }
  add('S27', 'dots-100000', 'reject', '.'.repeat(100_000), '100 000 dots');

  const recipient = rsa ?? ec;
  if (!recipient) return;
  const alg = recipient === rsa ? 'RSA-OAEP-256' : 'ECDH-ES';
  const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(forger.claims())))
    .setProtectedHeader({ alg, enc: 'A256GCM', typ: 'at+jwt', kid: recipient.kid })
    .encrypt(recipient.publicKey);
  add('S28', 'jwe-to-signing-key', 'reject', jwe, `a JWE (${alg}) encrypted to the trusted signing key ${recipient.kid}`);
};

const groups: Group[] = [
  signatureAndAlgorithm,
  hmacConfusion,
  ecdsaSignatures,
  algorithmAllowList,
  keySelection,
  claimsAndTyping,
  duplicateMembers,
  typeConfusion,
  parsing,
  sizeAndEncryption,
];
