/**
 * The reference RS against the real reference issuer over HTTP: every validation rule of
 * CHECKS.md rs-claims refuses its bad token with 401 invalid_token. The bad tokens are signed
 * with the issuer's real private key, so each refusal proves the rule, not the signature check;
 * the error description is asserted too, so the refusal is known to come from the rule meant.
 */
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dpopProof } from '../../../harness/oauth/client.ts';
import { signCompact } from '../../../harness/oauth/jws.ts';
import { startResourceServer } from '../../../harness/reference/resource-server/server.ts';
import { callProtected, type RsAnswer, startTestStack, type TestStack, testRsConfig } from '../../support/resource-server.ts';

let s: TestStack;
beforeAll(async () => {
  s = await startTestStack();
});
afterAll(() => s?.close());

const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** The answer must be the RFC 6750 invalid_token refusal, for the reason `why`, and never echo the token. */
function expectInvalidToken(answer: RsAnswer, token: string, why: RegExp) {
  expect(answer.status, answer.text).toBe(401);
  expect(answer.wwwAuthenticate).toMatch(/^Bearer realm="tokenproof", error="invalid_token", error_description="[^"]+"$/);
  expect(answer.body.error).toBe('invalid_token');
  expect(String(answer.body.error_description)).toMatch(why);
  if (token.length > 20) {
    const signature = token.split('.')[2] ?? token;
    for (const part of [token, signature.slice(0, 20)].filter((piece) => piece.length >= 16)) {
      expect(answer.text).not.toContain(part);
      expect(answer.wwwAuthenticate).not.toContain(part);
    }
  }
}

async function expectRefused(token: string, why: RegExp) {
  expectInvalidToken(await s.call(token), token, why);
}

describe('positive controls (S01)', () => {
  it('accepts an issued token and answers who it is for', async () => {
    const answer = await s.call(await s.token());
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ sub: 'primary', client_id: 'primary', scope: 'read write', token_type: 'Bearer' });
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it('accepts an unmodified forged token, so every refusal below is the rule changed', async () => {
    expect((await s.call(s.forge())).status).toBe(200);
    expect((await s.call(s.forge({ header: { typ: 'application/at+jwt' } }))).status).toBe(200);
    expect((await s.call(s.forge({ header: { typ: 'AT+JWT' } }))).status).toBe(200);
    expect((await s.call(s.forge({ claims: { aud: ['api://other', 'api://default'] } }))).status).toBe(200);
  });
});

describe('signature and algorithm (S02-S07)', () => {
  it('refuses alg none in every spelling and an empty signature (S02)', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const unsigned = `${b64(JSON.stringify({ alg, typ: 'at+jwt' }))}.${b64(JSON.stringify(s.validClaims()))}.`;
      await expectRefused(unsigned, /well-formed|algorithm/);
      const [h, p] = s.forge({ header: { alg } }).split('.');
      await expectRefused(`${h}.${p}.`, /well-formed|algorithm/);
    }
  });

  it('refuses a removed, truncated or altered signature, and claims edited under the original signature (S03)', async () => {
    const token = s.forge();
    const [h, p, sig] = token.split('.') as [string, string, string];
    await expectRefused(`${h}.${p}.`, /well-formed/);
    await expectRefused(`${h}.${p}.${sig.slice(0, 100)}`, /signature/);
    const flipped = sig[10] === 'A' ? 'B' : 'A';
    await expectRefused(`${h}.${p}.${sig.slice(0, 10)}${flipped}${sig.slice(11)}`, /signature/);
    const edited = b64(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), scope: 'read write admin' }));
    await expectRefused(`${h}.${edited}.${sig}`, /signature/);
  });

  it('refuses HS256/384/512 keyed with the public key in any encoding, empty or weak secrets (S04, S05, S11)', async () => {
    const publicKey = s.issuer.issuer.context.keys.signingKey().publicKey;
    const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const secrets = [
      pem,
      pem.trimEnd(),
      publicKey.export({ format: 'der', type: 'spki' }),
      JSON.stringify(publicKey.export({ format: 'jwk' })),
      '',
      'secret',
    ];
    for (const [alg, digest] of [
      ['HS256', 'sha256'],
      ['HS384', 'sha384'],
      ['HS512', 'sha512'],
    ] as const) {
      for (const secret of secrets) {
        const input = `${b64(JSON.stringify({ alg, typ: 'at+jwt', kid: s.issuer.issuer.context.keys.signingKey().kid }))}.${b64(JSON.stringify(s.validClaims()))}`;
        const mac = createHmac(digest, secret).update(input).digest('base64url');
        await expectRefused(`${input}.${mac}`, /algorithm/);
      }
    }
    for (const kid of ['../../../../dev/null', "' OR '1'='1", '$(touch /tmp/tokenproof-pwned)', '|id', '\u0000']) {
      const input = `${b64(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid }))}.${b64(JSON.stringify(s.validClaims()))}`;
      await expectRefused(`${input}.${createHmac('sha256', '').update(input).digest('base64url')}`, /algorithm/);
    }
  });

  it('refuses an algorithm family swap over the original signature (S07)', async () => {
    const [, p, sig] = s.forge().split('.') as [string, string, string];
    for (const alg of ['RS384', 'RS512', 'PS256', 'ES256', 'EdDSA', 'XX256', 'rs256']) {
      const header = b64(JSON.stringify({ alg, typ: 'at+jwt', kid: s.issuer.issuer.context.keys.signingKey().kid }));
      await expectRefused(`${header}.${p}.${sig}`, /signature|algorithm|does not fit/);
    }
  });

  it('refuses an algorithm that is not on its allow-list, though signed by the trusted key (S07)', async () => {
    const strict = await startResourceServer(
      testRsConfig(s.issuer, { algorithms: ['ES256'], revocationEvents: { enabled: false } }),
    );
    try {
      const token = s.forge();
      expectInvalidToken(await callProtected(strict.url, token), token, /algorithm/);
    } finally {
      await strict.close();
    }
  });
});

describe('ECDSA signatures (S06)', () => {
  let es: TestStack;
  beforeAll(async () => {
    es = await startTestStack({ issuer: { signing: { alg: 'ES256' } } });
  });
  afterAll(() => es?.close());

  it('accepts a valid ES256 token and refuses all-zero, DER-encoded and out-of-range signatures', async () => {
    const token = await es.token();
    expect((await es.call(token)).status).toBe(200);
    const [h, p] = token.split('.') as [string, string];
    const key = es.issuer.issuer.context.keys.signingKey();
    const der = sign('sha256', Buffer.from(`${h}.${p}`), { key: key.privateKey, dsaEncoding: 'der' });
    const order = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
    for (const signature of [Buffer.alloc(64), der, Buffer.concat([order, order]), Buffer.alloc(64, 0xff)]) {
      const bad = `${h}.${p}.${signature.toString('base64url')}`;
      expectInvalidToken(await es.call(bad), bad, /signature/);
    }
  });
});

describe('key selection (S08-S11)', () => {
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let listener: Server;
  let listenerUrl: string;
  let listenerHits = 0;
  beforeAll(async () => {
    listener = createServer((_request, response) => {
      listenerHits++;
      response.end('{"keys":[]}');
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const address = listener.address();
    listenerUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/jwks`;
  });
  afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  it('refuses a token signed by a key embedded in its own header (S08)', async () => {
    const jwk = await exportJWK(attacker.publicKey);
    for (const kid of [undefined, s.issuer.issuer.context.keys.signingKey().kid]) {
      const token = signCompact({ typ: 'at+jwt', jwk, ...(kid && { kid }) }, s.validClaims(), 'RS256', attacker.privateKey);
      await expectRefused(token, /signature/);
    }
  });

  it('refuses jku / x5u / x5c keys and never fetches from them (S09, S10)', async () => {
    const jwk = await exportJWK(attacker.publicKey);
    const certificate = randomBytes(600).toString('base64');
    const headers = [
      { jku: listenerUrl, kid: 'attacker-1' },
      { x5u: listenerUrl, kid: 'attacker-2' },
      { jku: listenerUrl },
      { x5c: [certificate], jwk },
    ];
    for (const header of headers) {
      const token = signCompact({ typ: 'at+jwt', ...header }, s.validClaims(), 'RS256', attacker.privateKey);
      await expectRefused(token, /unknown key|signature/);
    }
    expect(listenerHits).toBe(0);
  });
});

describe('claims and typing (S16-S24)', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it('refuses expired, expiry-less and mistyped exp; accepts exp within the 30 s leeway (S16)', async () => {
    for (const exp of [now() - 120, 0, -1]) await expectRefused(s.forge({ claims: { exp } }), /expired/);
    for (const exp of [undefined, String(now() + 300), null, [now() + 300], { value: now() + 300 }, true]) {
      await expectRefused(s.forge({ claims: { exp } }), /expiry/);
    }
    await expectRefused(
      s.signRaw('{"alg":"RS256","typ":"at+jwt"}', `{"iss":"${s.issuer.url}","aud":"api://default","exp":1e400}`),
      /expiry/,
    );
    expect((await s.call(s.forge({ claims: { exp: now() - 10 } }))).status).toBe(200);
  });

  it('refuses nbf beyond the leeway, accepts it within (S17)', async () => {
    await expectRefused(s.forge({ claims: { nbf: now() + 120 } }), /not valid yet/);
    await expectRefused(s.forge({ claims: { nbf: 'now' } }), /time claim/);
    expect((await s.call(s.forge({ claims: { nbf: now() + 10 } }))).status).toBe(200);
  });

  it('refuses a wrong, missing, empty or wildcard audience (S18)', async () => {
    for (const aud of [
      'api://other',
      undefined,
      [],
      '*',
      ['*'],
      '',
      ['api://default', 7],
      { 0: 'api://default' },
      null,
      'API://DEFAULT',
    ]) {
      await expectRefused(s.forge({ claims: { aud } }), /not meant for this resource server/);
    }
  });

  it('refuses a missing, foreign, slash-suffixed or case-changed issuer (S19)', async () => {
    const issuer = s.issuer.url;
    for (const iss of [
      undefined,
      'http://127.0.0.1:1',
      `${issuer}/`,
      issuer.toUpperCase(),
      issuer.replace('http', 'HTTP'),
      ['x'],
      null,
    ]) {
      await expectRefused(s.forge({ claims: { iss } }), /trusted issuer/);
    }
  });

  it('refuses typ absent, JWT or application/jwt (S20)', async () => {
    for (const typ of [undefined, 'JWT', 'application/jwt', 'jwt', 'at+jwt ', 'dpop+jwt', 'logout+jwt', ['at+jwt'], 1]) {
      await expectRefused(s.forge({ header: { typ } }), /typ at\+jwt/);
    }
  });

  it('refuses other JWTs of the same issuer: id_token, DPoP proof, client assertion (S21)', async () => {
    const login = await s.issuer.login(s.issuer.primary);
    expect(login.status).toBe(200);
    await expectRefused(login.body.id_token!, /typ at\+jwt/);
    const userToken = login.body.access_token!;
    expect((await s.call(userToken)).status).toBe(200);
    const key = s.issuer.issuer.context.keys.signingKey();
    const assertion = signCompact(
      { kid: key.kid },
      { ...s.validClaims(), iss: 'primary', sub: 'primary', aud: s.issuer.url },
      key.alg,
      key.privateKey,
    );
    await expectRefused(assertion, /typ at\+jwt/);
    const dpopKey = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }), alg: 'ES256' };
    const proof = await dpopProof(dpopKey, { htm: 'GET', htu: s.rs.protectedUrl });
    await expectRefused(proof, /algorithm|typ/);
  });

  it('refuses crit headers and unencoded payloads (S22)', async () => {
    await expectRefused(s.forge({ header: { crit: ['exp'], exp: now() + 60 } }), /critical/);
    await expectRefused(s.forge({ header: { crit: [] } }), /critical/);
    await expectRefused(s.forge({ header: { crit: ['b64'], b64: false } }), /critical/);
    await expectRefused(s.forge({ header: { b64: false } }), /unencoded/);
  });

  it('refuses duplicate member names in the header or the claims, escaped or not (S23)', async () => {
    const kid = s.issuer.issuer.context.keys.signingKey().kid;
    const claims = JSON.stringify(s.validClaims());
    const header = `{"alg":"RS256","typ":"at+jwt","kid":"${kid}"}`;
    expect((await s.call(s.signRaw(header, claims))).status).toBe(200);
    await expectRefused(s.signRaw(`{"alg":"none","alg":"RS256","typ":"at+jwt","kid":"${kid}"}`, claims), /well-formed/);
    await expectRefused(s.signRaw(`{"alg":"RS256","typ":"JWT","t\\u0079p":"at+jwt","kid":"${kid}"}`, claims), /well-formed/);
    const dupAudience = claims.replace('"aud":"api://default"', '"aud":"api://other","aud":"api://default"');
    await expectRefused(s.signRaw(header, dupAudience), /claims are not a JSON object/);
    const nested = claims.replace('"jti"', '"ext":{"a":1,"b":{"c":1,"c":2}},"jti"');
    await expectRefused(s.signRaw(header, nested), /claims are not a JSON object/);
    const sameNameApart = claims.replace('"jti"', '"ext":[{"a":1},{"a":2}],"x":{"a":{"a":1}},"jti"');
    expect((await s.call(s.signRaw(header, sameNameApart))).status).toBe(200);
  });

  it('refuses type confusion in claims and header, and shrugs off __proto__ (S24)', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ sub: null }, /not a string/],
      [{ sub: true }, /not a string/],
      [{ client_id: ['primary'] }, /not a string/],
      [{ scope: ['read'] }, /not a string/],
      [{ jti: 42 }, /not a string/],
      [{ iat: '2024-01-01' }, /time claim/],
      [{ cnf: 'key' }, /cnf/],
      [{ cnf: { jkt: 7 } }, /confirmation/],
      [{ cnf: { 'x5t#S256': 'abc' } }, /confirmation/],
    ];
    for (const [claims, why] of cases) await expectRefused(s.forge({ claims }), why);
    for (const header of [{ kid: 5 }, { kid: '' }, { kid: { a: 1 } }]) await expectRefused(s.forge({ header }), /kid/);
    await expectRefused(s.forge({ header: { alg: ['RS256'] } }), /algorithm/);
    for (const payload of ['[]', '"claims"', '123', 'null', '{"a":1', '\uFEFF{}']) {
      await expectRefused(s.signRaw('{"alg":"RS256","typ":"at+jwt"}', payload), /claims are not a JSON object/);
    }
    const claims = s.validClaims();
    const { aud: _aud, ...withoutAudience } = claims;
    const polluted = JSON.stringify(withoutAudience).replace('{', '{"__proto__":{"aud":"api://default","admin":true},');
    await expectRefused(s.signRaw('{"alg":"RS256","typ":"at+jwt","__proto__":{"typ":"at+jwt"}}', polluted), /not meant/);
    const protoHeader = '{"__proto__":{"alg":"RS256","typ":"at+jwt"}}';
    await expectRefused(s.signRaw(protoHeader, JSON.stringify(claims)), /algorithm/);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect((await s.call(await s.token())).status).toBe(200);
  });
});

describe('parsing (S25, S26, S28)', () => {
  it('answers 401 to malformed compact serialisations, never 5xx (S25, S28)', async () => {
    const [h, p, sig] = s.forge().split('.') as [string, string, string];
    const shapes = [
      `${h}.${p}`,
      `${h}.${p}.${sig}.${sig}`,
      `${h}..${sig}`,
      `.${p}.${sig}`,
      '...',
      'a',
      `${h}.${p}.${sig}.x.y`,
      `${b64('{"alg":"RSA-OAEP","enc":"A256GCM"}')}.${b64('k')}.${b64('iv')}.${b64('ct')}.${b64('tag')}`,
      `${b64('not json')}.${p}.${sig}`,
      `${b64('{"alg":"RS256","typ":"at+jwt"}')}.${b64('not json')}.${sig}`,
      `${Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString('base64url')}.${p}.${sig}`,
    ];
    for (const token of shapes) {
      const answer = await s.call(token);
      expect(answer.status, token.slice(0, 40)).toBe(401);
      expect(answer.body.error).toBe('invalid_token');
    }
  });

  it('refuses non-canonical base64url: padding, + and /, stray bits (S26)', async () => {
    const token = s.forge();
    const [h, p, sig] = token.split('.') as [string, string, string];
    const padded = (segment: string) => segment + '='.repeat((4 - (segment.length % 4)) % 4 || 4);
    const stdAlphabet = (segment: string) => segment.replace(/-/g, '+').replace(/_/g, '/');
    // The header's last character carries spare bits unless its length is a multiple of 4.
    const strayBits = (segment: string) => {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(segment.at(-1)!);
      return segment.slice(0, -1) + alphabet[last | 1];
    };
    const variants = [`${h}.${p}.${padded(sig)}`, `${h}=.${p}.${sig}`, `${stdAlphabet(h)}.${stdAlphabet(p)}.${stdAlphabet(sig)}`];
    if (sig.length % 4 !== 0) variants.push(`${h}.${p}.${strayBits(sig)}`);
    if (p.length % 4 !== 0) variants.push(`${h}.${strayBits(p)}.${sig}`);
    expect(variants.length).toBeGreaterThan(3);
    for (const variant of variants) {
      if (variant === token) continue;
      const answer = await s.call(variant);
      expect(answer.status, variant.slice(-20)).toBe(401);
    }
  });
});

describe('scope (E04)', () => {
  it('answers 403 insufficient_scope with the scope needed', async () => {
    const answer = await s.call(await s.token({ scope: 'write' }));
    expect(answer.status).toBe(403);
    expect(answer.wwwAuthenticate).toBe(
      'Bearer realm="tokenproof", error="insufficient_scope", error_description="the token lacks the scope this resource requires", scope="read"',
    );
    expect((await s.call(s.forge({ claims: { scope: undefined } }))).status).toBe(403);
    expect((await s.call(s.forge({ claims: { scope: 'readonly' } }))).status).toBe(403);
  });

  it('applies per-route scope rules', async () => {
    const routed = await startResourceServer(
      testRsConfig(s.issuer, {
        revocationEvents: { enabled: false },
        routes: [
          { path: '/protected/admin/*', scope: 'admin' },
          { path: '/protected/orders', methods: ['POST'], scope: ['read', 'write'] },
        ],
      }),
    );
    try {
      const readOnly = await s.token({ scope: 'read' });
      const readWrite = await s.token({ scope: 'read write' });
      const call = (token: string, path: string, method = 'GET') => callProtected(routed.url, token, { path, method });
      expect((await call(readOnly, '/protected/orders')).status).toBe(200);
      expect((await call(readOnly, '/protected/orders', 'POST')).status).toBe(403);
      expect((await call(readWrite, '/protected/orders', 'POST')).status).toBe(200);
      const admin = await call(readWrite, '/protected/admin/users');
      expect(admin.status).toBe(403);
      expect(admin.wwwAuthenticate).toContain('scope="admin"');
    } finally {
      await routed.close();
    }
  });
});
