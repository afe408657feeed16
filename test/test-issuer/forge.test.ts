import { createHmac, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { compactVerify, createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactToken } from '../../harness/lib/redact.ts';
import { split } from '../../harness/test-issuer/compact.ts';
import { type RunningTestIssuer, startHarnessIssuer } from '../../harness/test-issuer/server.ts';
import type { ForgedToken } from '../../harness/test-issuer/variations.ts';
import { type StrictRsOptions, strictRsRefusal, verifyLikeStrictRs } from './strict-rs.ts';

const audience = 'api://orders';
let issuer: RunningTestIssuer;
let strict: StrictRsOptions;
let variations: ForgedToken[];

beforeAll(async () => {
  issuer = await startHarnessIssuer({ audience, scope: 'read write', subject: 'user-1', clientId: 'client-1' });
  const remote: JWTVerifyGetKey = createRemoteJWKSet(new URL(issuer.jwksUri));
  strict = { keys: remote, issuer: issuer.url, audience, algorithms: ['RS256', 'ES256'] };
  variations = await issuer.variations({ allowedAlgs: ['RS256', 'ES256'] });
});
afterAll(() => issuer.close());

const byName = (name: string): ForgedToken => {
  const found = variations.find((variation) => variation.name === name);
  if (!found) throw new Error(`no variation ${name}`);
  return found;
};
const headerOf = (token: string) =>
  JSON.parse(Buffer.from(split(token).header, 'base64url').toString()) as Record<string, unknown>;

/** Variations a strict RS judges otherwise than they say, and claim cases refused for their key or signature. */
async function misjudged(list: ForgedToken[], options: StrictRsOptions): Promise<string[]> {
  const claimChecks = ['S16', 'S17', 'S18', 'S19', 'S20', 'S21', 'S22', 'S23', 'S24'];
  const wrong: string[] = [];
  for (const variation of list) {
    const why = await strictRsRefusal(variation.token, options);
    if (variation.expect === 'accept' && why !== undefined) wrong.push(`${variation.name} refused: ${why}`);
    if (variation.expect === 'reject' && why === undefined)
      wrong.push(`${variation.name} accepted (${redactToken(variation.token)})`);
    // A claim or header forgery must be refused for its claim or header, never for its key or signature.
    // (duplicate-header-alg is the one claim/header case whose point is its alg.)
    const keyReason = variation.name === 'duplicate-header-alg' ? /signature|applicable key/i : /signature|applicable key|"alg"/i;
    if (why !== undefined && claimChecks.includes(variation.check) && keyReason.test(why)) {
      wrong.push(`${variation.name} refused for its key: ${why}`);
    }
  }
  return wrong;
}

describe('forger baseline', () => {
  it('is an RFC 9068 access token that verifies against the served JWKS', async () => {
    const token = issuer.forger.accessToken();
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), {
      typ: 'at+jwt',
      issuer: issuer.url,
      audience,
      algorithms: ['RS256'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: issuer.keys.current('RS256').kid });
    expect(payload).toMatchObject({ sub: 'user-1', client_id: 'client-1', scope: 'read write' });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await expect(
      verifyLikeStrictRs(issuer.forger.accessToken({ key: issuer.keys.current('ES256') }), strict),
    ).resolves.toBeTruthy();
  });

  it('removes a claim set to undefined and shifts exp/nbf for leeway probes', async () => {
    const now = issuer.forger.nowSeconds();
    const claims = (token: string) =>
      JSON.parse(Buffer.from(split(token).payload, 'base64url').toString()) as Record<string, number>;
    expect(claims(issuer.forger.accessToken({ claims: { exp: undefined } }))).not.toHaveProperty('exp');
    const expiring = claims(issuer.forger.expiringIn(-20));
    expect(expiring.exp).toBeGreaterThanOrEqual(now - 20);
    expect(expiring.exp).toBeLessThanOrEqual(now - 19);
    expect(expiring.iat).toBe(expiring.exp! - 300);
    const early = claims(issuer.forger.notBeforeIn(20));
    expect(early.nbf! - early.exp!).toBe(-300);
    expect(early.iat).toBeLessThanOrEqual(early.nbf!);
    // Within the strict model's 30 s tolerance these pass, beyond it they fail: the probes move one claim only.
    await expect(verifyLikeStrictRs(issuer.forger.expiringIn(-20), strict)).resolves.toBeTruthy();
    await expect(verifyLikeStrictRs(issuer.forger.expiringIn(-60), strict)).rejects.toThrow(/exp/);
    await expect(verifyLikeStrictRs(issuer.forger.notBeforeIn(20), strict)).resolves.toBeTruthy();
    await expect(verifyLikeStrictRs(issuer.forger.notBeforeIn(60), strict)).rejects.toThrow(/nbf/);
  });

  it('binds a token to a DPoP key and signs unknown kids with fresh kids', async () => {
    const bound = issuer.forger.dpopBound('jkt-value');
    expect((await verifyLikeStrictRs(bound, strict)).cnf).toEqual({ jkt: 'jkt-value' });
    const [a, b] = [await issuer.forger.unknownKidToken(), await issuer.forger.unknownKidToken()];
    expect(headerOf(a!).kid).not.toBe(headerOf(b!).kid);
    await expect(verifyLikeStrictRs(a!, strict)).rejects.toThrow();
  });
});

describe('forged variations', () => {
  it('have unique names and cover every rs-claims check that a static token can serve', () => {
    expect(new Set(variations.map((variation) => variation.name)).size).toBe(variations.length);
    const checks = new Set(variations.map((variation) => variation.check));
    for (const id of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28]) {
      expect(checks, `S${id}`).toContain(`S${String(id).padStart(2, '0')}`);
    }
    for (const variation of variations) expect(variation.description.length).toBeGreaterThan(5);
  });

  it('every "accept" variation passes a strict resource server and every "reject" one fails it', async () => {
    const accepted = variations.filter((variation) => variation.expect === 'accept').map((variation) => variation.name);
    expect(accepted).toEqual(
      expect.arrayContaining(['valid-rs256', 'valid-es256', 'aud-array-with-rs', 'typ-at+jwt', 'typ-application-at+jwt']),
    );
    expect(await misjudged(variations, strict)).toEqual([]);
  });

  it('sign claim and header cases with a key on a narrower allow-list (ES256 only)', async () => {
    const esOnly = await issuer.variations({ allowedAlgs: ['ES256'] });
    expect(esOnly.map((variation) => variation.name)).not.toContain('valid-rs256');
    expect(headerOf(esOnly.find((variation) => variation.name === 'aud-wrong')!.token).alg).toBe('ES256');
    expect(await misjudged(esOnly, { ...strict, algorithms: ['ES256'] })).toEqual([]);
  });

  it('work for an EdDSA-only issuer', async () => {
    const eddsa = await startHarnessIssuer({ audience, algs: ['EdDSA'], encryptionKey: false });
    try {
      const list = await eddsa.variations();
      expect(list.filter((variation) => variation.expect === 'accept').length).toBeGreaterThan(0);
      const keys = createRemoteJWKSet(new URL(eddsa.jwksUri));
      expect(await misjudged(list, { keys, issuer: eddsa.url, audience, algorithms: ['EdDSA'] })).toEqual([]);
    } finally {
      await eddsa.close();
    }
  });

  it('claim and header forgeries carry a valid signature by the key their kid names', () => {
    // The point of the test issuer: a refusal of these proves the claim/header check, not the signature check.
    const claimChecks = ['S16', 'S17', 'S18', 'S19', 'S20', 'S21', 'S22', 'S23', 'S24'];
    const unsigned: string[] = [];
    for (const variation of variations.filter((candidate) => claimChecks.includes(candidate.check))) {
      const parts = split(variation.token);
      const kid = /"kid":"([^"]+)"/.exec(Buffer.from(parts.header, 'base64url').toString())?.[1];
      const key = kid ? issuer.keys.find(kid) : undefined;
      const valid =
        key !== undefined &&
        issuer.keys.isPublished(key.kid) &&
        verify(
          key.alg === 'EdDSA' ? null : 'sha256',
          Buffer.from(`${parts.header}.${parts.payload}`),
          key.alg === 'ES256' ? { key: key.publicKey, dsaEncoding: 'ieee-p1363' } : key.publicKey,
          Buffer.from(parts.signature, 'base64url'),
        );
      if (!valid) unsigned.push(variation.name);
    }
    expect(unsigned).toEqual([]);
  });

  it('HMAC tokens keyed with public-key bytes verify under HMAC with those bytes (they fool a naive RS)', async () => {
    const rsa = issuer.keys.current('RS256');
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const materials: Record<string, Uint8Array> = {
      pem: Buffer.from(pem),
      'pem-no-newline': Buffer.from(pem.trimEnd()),
      'pkcs1-pem': Buffer.from(rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString()),
      der: rsa.publicKey.export({ type: 'spki', format: 'der' }),
      'jwk-json': Buffer.from(JSON.stringify(rsa.publicJwk)),
    };
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      for (const [material, secret] of Object.entries(materials)) {
        const { token } = byName(`${alg.toLowerCase()}-public-key-${material}`);
        const { payload } = await jwtVerify(token, secret, { algorithms: [alg], issuer: issuer.url, audience, typ: 'at+jwt' });
        expect(payload.sub).toBe('user-1');
        expect(headerOf(token).kid).toBe(rsa.kid);
      }
    }
    // And the PEM text without its newline is a different key: the variants are distinct.
    await expect(jwtVerify(byName('hs256-public-key-pem').token, materials['pem-no-newline']!)).rejects.toThrow(/signature/);
  });

  it('ECDSA forgeries are what they claim: DER is a genuine signature, the others are out of range', () => {
    const ec = issuer.keys.current('ES256');
    const der = split(byName('es256-der-signature').token);
    expect(
      verify(
        'sha256',
        Buffer.from(`${der.header}.${der.payload}`),
        { key: ec.publicKey, dsaEncoding: 'der' },
        Buffer.from(der.signature, 'base64url'),
      ),
    ).toBe(true);
    expect(Buffer.from(split(byName('es256-zero-signature').token).signature, 'base64url')).toEqual(Buffer.alloc(64));
    const rs = Buffer.from(split(byName('es256-r-s-equal-n').token).signature, 'base64url');
    expect(rs.subarray(0, 32).toString('hex')).toBe('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
  });

  it('key-selection forgeries verify with the attacker material they point at (they fool an RS that follows them)', async () => {
    const mark = issuer.listener.mark();
    const jku = byName('jku-listener').token;
    const jkuUrl = String(headerOf(jku).jku);
    expect(jkuUrl.startsWith(issuer.listener.baseUrl)).toBe(true);
    const attackerSet = createLocalJWKSet((await (await fetch(jkuUrl)).json()) as JSONWebKeySet);
    await expect(jwtVerify(jku, attackerSet, { typ: 'at+jwt', audience })).resolves.toBeTruthy();
    await expect(jwtVerify(byName('jku-listener-trusted-kid').token, attackerSet, { audience })).resolves.toBeTruthy();
    expect(issuer.listener.hitsSince(mark).map((hit) => hit.path)).toEqual(['/jku/attacker.json']);

    const embedded = byName('jwk-header-attacker').token;
    await expect(
      compactVerify(embedded, createPublicKey({ key: headerOf(embedded).jwk as never, format: 'jwk' })),
    ).resolves.toBeTruthy();

    const x5c = byName('x5c-self-signed').token;
    const certificate = new X509Certificate(Buffer.from((headerOf(x5c).x5c as string[])[0]!, 'base64'));
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.issuer).toBe(certificate.subject);
    await expect(compactVerify(x5c, certificate.publicKey)).resolves.toBeTruthy();

    const x5u = String(headerOf(byName('x5u-listener').token).x5u);
    const pem = await (await fetch(x5u)).text();
    expect(new X509Certificate(pem).publicKey.export({ format: 'jwk' })).toMatchObject({ n: issuer.attacker.publicJwk.n });
  });

  it('kid injections are HS256 with an empty key and the injection string as kid', () => {
    for (const name of ['kid-path-traversal', 'kid-sql-injection', 'kid-command-injection', 'kid-command-substitution']) {
      const { token } = byName(name);
      const parts = split(token);
      expect(headerOf(token).alg).toBe('HS256');
      const emptyKeyMac = createHmac('sha256', Buffer.alloc(0)).update(`${parts.header}.${parts.payload}`).digest('base64url');
      expect(parts.signature).toBe(emptyKeyMac);
    }
    expect(headerOf(byName('kid-path-traversal').token).kid).toBe('../../../../../../../../../../dev/null');
  });

  it('S13 cases follow the published keys: an added enc key gets its own forgery', async () => {
    const enc = await issuer.addKey({ alg: 'RS256', use: 'enc' });
    const mismatched = await issuer.addKey({ alg: 'RS256', advertisedAlg: 'ES256' });
    try {
      const names = (await issuer.variations())
        .filter((variation) => variation.check === 'S13')
        .map((variation) => variation.name);
      expect(names).toContain(`kid-enc-key-${enc.kid}`);
      expect(names).toContain(`kid-advertised-alg-mismatch-${mismatched.kid}`);
      const s13 = (await issuer.variations()).filter((variation) => variation.check === 'S13');
      const forged = s13.find((variation) => variation.name === `kid-enc-key-${enc.kid}`)!;
      expect(await strictRsRefusal(forged.token, strict)).toBeDefined();
      // RFC 7517 §4.2 binds no verifier to "use": the enc case is graded SHOULD; a key advertised
      // for another alg stays at the check's MUST (RFC 8725 §3.1).
      expect(forged.level).toBe('SHOULD');
      expect(s13.find((variation) => variation.name === `kid-advertised-alg-mismatch-${mismatched.kid}`)!.level).toBeUndefined();
    } finally {
      issuer.removeKey(enc.kid);
      issuer.removeKey(mismatched.kid);
    }
  });

  it('grades SHOULD only the cases an RFC lets a recipient accept (crit: [], scope as an array of the granted values)', () => {
    const graded = variations.filter((variation) => variation.level === 'SHOULD').map((variation) => variation.name);
    expect(graded.filter((name) => !name.startsWith('kid-enc-key-'))).toEqual(['crit-empty', 'type-scope-array']);
    expect(headerOf(byName('crit-empty').token).crit).toEqual([]);
    const payload = JSON.parse(Buffer.from(split(byName('type-scope-array').token).payload, 'base64url').toString());
    expect(payload.scope).toEqual(['read', 'write']);
    for (const name of ['crit-unknown', 'b64-false', 'type-scope-null', 'type-scope-true', 'type-scope-object'])
      expect(byName(name).level).toBeUndefined();
  });

  it('alg allow-list cases follow the allow-list parameter', async () => {
    const names = (list: ForgedToken[]) =>
      list.filter((variation) => variation.check === 'S07').map((variation) => variation.name);
    expect(names(variations)).toContain('alg-not-allowed-ps256');
    const widened = await issuer.variations({ allowedAlgs: ['RS256', 'ES256', 'PS256'] });
    expect(names(widened)).not.toContain('alg-not-allowed-ps256');
    expect(names(widened)).toContain('alg-not-allowed-rs512');
  });

  it('size cases reach their sizes', () => {
    expect(byName('size-8kib').token.length).toBeGreaterThanOrEqual(7 * 1024);
    expect(byName('size-8kib').token.length).toBeLessThanOrEqual(9 * 1024);
    expect(byName('size-1mib').token.length).toBeGreaterThanOrEqual(1000 * 1024);
    expect(byName('dots-100000').token).toBe('.'.repeat(100_000));
    expect(byName('jwe-to-signing-key').token.split('.')).toHaveLength(5);
  });
});
