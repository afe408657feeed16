/**
 * The RS's JWKS handling over HTTP: key rotation at the real issuer never refuses a valid
 * token, an issuer outage with a warm cache keeps valid tokens working, unknown kids refetch at
 * most once per cool-down, and keys unfit to verify (CHECKS.md S12-S15) are refused. The S13/S14
 * cases need JWKS contents the issuer never publishes, so they use a small JWKS server here.
 */
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signCompact } from '../../../harness/oauth/jws.ts';
import { type RunningResourceServer, startResourceServer } from '../../../harness/reference/resource-server/server.ts';
import { claimsOf, headerOf } from '../../support/issuer.ts';
import { audience, callProtected, eventually, startTestStack, type TestStack } from '../../support/resource-server.ts';

async function rotate(s: TestStack, activateAfterSeconds?: number): Promise<string> {
  const response = await fetch(`${s.issuer.url}/admin/keys/rotate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.issuer.secrets.admin}`, 'content-type': 'application/json' },
    body: JSON.stringify(activateAfterSeconds === undefined ? {} : { activateAfterSeconds }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { kid: string }).kid;
}

function jwksFetches(rs: RunningResourceServer, outcome: 'ok' | 'error'): Promise<number> {
  return rs.context.metrics.jwksFetches
    .get()
    .then((metric) => metric.values.find((value) => value.labels.outcome === outcome)?.value ?? 0);
}

describe('key rotation at the issuer', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await startTestStack({ rs: { jwks: { cooldown: '200ms', refreshInterval: '500ms' } } });
  });
  afterAll(() => s?.close());

  it('accepts tokens of the old and the new key after an immediate rotation (refetch on unknown kid)', async () => {
    const before = await s.token();
    expect((await s.call(before)).status).toBe(200);
    const kid = await rotate(s);
    const after = await s.token();
    expect(headerOf(after).kid).toBe(kid);
    expect(headerOf(before).kid).not.toBe(kid);
    expect((await s.call(after)).status).toBe(200);
    expect((await s.call(before)).status).toBe(200);
  });

  it('accepts every token minted across pre-published rotations', async () => {
    const kids = new Set<string>();
    for (let round = 0; round < 2; round++) {
      const kid = await rotate(s, 1);
      let sawNewKey = false;
      const deadline = performance.now() + 10_000;
      while (!sawNewKey && performance.now() < deadline) {
        const token = await s.token();
        const answer = await s.call(token);
        expect(answer.status, `token of kid ${String(headerOf(token).kid)}`).toBe(200);
        kids.add(String(headerOf(token).kid));
        sawNewKey = headerOf(token).kid === kid;
      }
      expect(sawNewKey).toBe(true);
    }
    expect(kids.size).toBeGreaterThanOrEqual(3);
  });
});

describe('issuer outage with a warm JWKS cache (C01)', () => {
  let s: TestStack;
  afterEach(() => s?.rs.close());

  it('keeps accepting valid tokens, seen or not, and refuses unknown kids and expired tokens', async () => {
    s = await startTestStack();
    const seen = await s.token();
    const unseen = [await s.token(), await s.token()];
    const expired = s.forge({ claims: { exp: Math.floor(Date.now() / 1000) - 3600 } });
    expect((await s.call(seen)).status).toBe(200);
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const unknownKid = signCompact(
      { typ: 'at+jwt', kid: 'rotated-in-while-down' },
      s.validClaims(),
      'RS256',
      attacker.privateKey,
    );
    await s.issuer.close();

    expect((await s.call(seen)).status).toBe(200);
    for (const token of unseen) expect((await s.call(token)).status).toBe(200);
    const refused = await s.call(unknownKid);
    expect(refused.status).toBe(401);
    expect(refused.body.error_description).toMatch(/unknown key/);
    expect((await s.call(expired)).status).toBe(401);
    expect(await jwksFetches(s.rs, 'error')).toBeGreaterThanOrEqual(1);
  });

  it('answers 503, never 200, when it never got the keys', async () => {
    s = await startTestStack();
    const token = await s.token();
    const issuerUrl = s.issuer.url;
    await s.issuer.close();
    const cold = await startResourceServer({
      issuer: issuerUrl,
      audience,
      revocationEvents: { enabled: false },
      jwks: { timeout: '500ms', cooldown: '100ms' },
    });
    try {
      const answer = await callProtected(cold.url, token);
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
      expect((await fetch(`${cold.url}/health`)).status).toBe(503);
    } finally {
      await cold.close();
    }
  });
});

/** A JWKS server whose keys (or breakage) the test controls, counting its fetches. */
interface JwksStub {
  url: string;
  keys: Record<string, unknown>[];
  /** How to answer: the JWKS, a truncated one, an oversized one, or never. */
  mode: 'ok' | 'truncated' | 'oversized' | 'hang';
  fetches: number;
  close(): Promise<void>;
}

async function startJwksStub(): Promise<JwksStub> {
  const stub = { keys: [] as Record<string, unknown>[], fetches: 0, mode: 'ok' as JwksStub['mode'] };
  const server: Server = createServer((_request, response) => {
    stub.fetches++;
    const body = JSON.stringify({ keys: stub.keys });
    if (stub.mode === 'hang') return;
    response.writeHead(200, { 'content-type': 'application/jwk-set+json' });
    if (stub.mode === 'truncated') response.end(body.slice(0, body.length / 2));
    else if (stub.mode === 'oversized') response.end(JSON.stringify({ keys: stub.keys, padding: 'x'.repeat(300 * 1024) }));
    else response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(stub, {
    url: `http://127.0.0.1:${port}/jwks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

describe('keys from a controlled JWKS (S12-S15)', () => {
  const issuer = 'https://issuer.example.test';
  let stub: JwksStub;
  let rs: RunningResourceServer;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const jwk = (key: KeyObject, extra: Record<string, unknown>) => ({ ...(key.export({ format: 'jwk' }) as object), ...extra });
  const claims = () => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: issuer, aud: audience, sub: 'svc', client_id: 'svc', scope: 'read', exp: now + 300, iat: now };
  };
  const token = (kid: string, key: KeyObject = rsa.privateKey) => signCompact({ typ: 'at+jwt', kid }, claims(), 'RS256', key);

  beforeAll(async () => {
    stub = await startJwksStub();
    stub.keys = [
      jwk(rsa.publicKey, { kid: 'good', use: 'sig', alg: 'RS256' }),
      jwk(rsa.publicKey, { kid: 'enc', use: 'enc' }),
      jwk(rsa.publicKey, { kid: 'ops', key_ops: ['encrypt'] }),
      jwk(rsa.publicKey, { kid: 'pinned-ps256', alg: 'PS256' }),
      jwk(ec.publicKey, { kid: 'ec' }),
      jwk(small.publicKey, { kid: 'small' }),
      { kty: 'oct', kid: 'oct', k: randomBytes(32).toString('base64url') },
      { ...jwk(rsa.privateKey, { kid: 'private' }) },
    ];
    rs = await startResourceServer({
      issuer,
      audience,
      jwksUri: stub.url,
      revocationEvents: { enabled: false },
      jwks: { cooldown: '1h', refreshInterval: '1h' },
    });
  });
  afterAll(async () => {
    await rs?.close();
    await stub?.close();
  });

  it('accepts a token of a fitting key (positive control)', async () => {
    expect((await callProtected(rs.url, token('good'))).status).toBe(200);
  });

  it('refuses kids that resolve to encryption keys, restricted keys, private or symmetric keys (S13)', async () => {
    for (const kid of ['enc', 'ops', 'oct', 'private']) {
      const answer = await callProtected(rs.url, token(kid));
      expect(answer.status, kid).toBe(401);
      expect(answer.body.error_description, kid).toMatch(/may not verify/);
    }
  });

  it('refuses kids whose key type, curve, size or pinned alg do not fit RS256 (S13)', async () => {
    for (const [kid, key] of [
      ['ec', rsa.privateKey],
      ['pinned-ps256', rsa.privateKey],
      ['small', small.privateKey],
    ] as const) {
      const answer = await callProtected(rs.url, token(kid, key));
      expect(answer.status, kid).toBe(401);
      expect(answer.body.error_description, kid).toMatch(/does not fit/);
    }
  });

  it('refetches for unknown kids at most once per cool-down, and learns a rotated-in key (S12, S15)', async () => {
    const fresh = generateKeyPairSync('rsa', { modulusLength: 2048 });
    stub.keys.push(jwk(fresh.publicKey, { kid: 'fresh' }));
    const before = stub.fetches;
    expect((await callProtected(rs.url, token('fresh', fresh.privateKey))).status).toBe(200);
    expect(stub.fetches).toBe(before + 1);
    for (let index = 0; index < 20; index++) {
      const answer = await callProtected(rs.url, token(`random-${index}`));
      expect(answer.status).toBe(401);
    }
    expect(stub.fetches).toBe(before + 1);
  });
});

describe('a key removed from the JWKS (S14)', () => {
  it('stops verifying, cached tokens included, once the refresh interval has passed', async () => {
    const stub = await startJwksStub();
    const issuer = 'https://issuer.example.test';
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
    stub.keys = [{ ...(key.publicKey.export({ format: 'jwk' }) as object), kid: 'leaving' }];
    const rs = await startResourceServer({
      issuer,
      audience,
      jwksUri: stub.url,
      revocationEvents: { enabled: false },
      jwks: { refreshInterval: '200ms', cooldown: '1h' },
    });
    try {
      const now = Math.floor(Date.now() / 1000);
      const token = signCompact(
        { typ: 'at+jwt', kid: 'leaving' },
        { iss: issuer, aud: audience, exp: now + 300 },
        'RS256',
        key.privateKey,
      );
      expect((await callProtected(rs.url, token)).status).toBe(200);
      expect((await callProtected(rs.url, token)).status).toBe(200);
      stub.keys = [];
      const refused = await eventually(async () => (await callProtected(rs.url, token)).status === 401);
      expect(refused).toBe(true);
      expect(claimsOf(token).iss).toBe(issuer);
    } finally {
      await rs.close();
      await stub.close();
    }
  });
});

describe('a broken JWKS (C04)', () => {
  it('keeps verifying with the cached keys while the JWKS is truncated, oversized or hanging, and recovers', async () => {
    const stub = await startJwksStub();
    const issuer = 'https://issuer.example.test';
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const fresh = generateKeyPairSync('rsa', { modulusLength: 2048 });
    stub.keys = [{ ...(key.publicKey.export({ format: 'jwk' }) as object), kid: 'steady' }];
    const rs = await startResourceServer({
      issuer,
      audience,
      jwksUri: stub.url,
      revocationEvents: { enabled: false },
      tokenCache: { enabled: false },
      jwks: { refreshInterval: '100ms', cooldown: '1h', timeout: '300ms' },
    });
    const sign = (kid: string, privateKey: KeyObject) => {
      const now = Math.floor(Date.now() / 1000);
      return signCompact({ typ: 'at+jwt', kid }, { iss: issuer, aud: audience, exp: now + 300 }, 'RS256', privateKey);
    };
    try {
      expect((await callProtected(rs.url, sign('steady', key.privateKey))).status).toBe(200);
      for (const mode of ['truncated', 'oversized', 'hang'] as const) {
        stub.mode = mode;
        const errorsBefore = await jwksFetches(rs, 'error');
        // Wait until a background refresh has failed in this mode, checking every answer meanwhile.
        const failedOnce = await eventually(async () => {
          expect((await callProtected(rs.url, sign('steady', key.privateKey))).status).toBe(200);
          return (await jwksFetches(rs, 'error')) > errorsBefore;
        });
        expect(failedOnce, mode).toBe(true);
        expect((await callProtected(rs.url, sign('steady', key.privateKey))).status).toBe(200);
        expect((await callProtected(rs.url, sign('other', fresh.privateKey))).status).toBe(401);
      }
      stub.mode = 'ok';
      stub.keys.push({ ...(fresh.publicKey.export({ format: 'jwk' }) as object), kid: 'other' });
      expect(await eventually(async () => (await callProtected(rs.url, sign('other', fresh.privateKey))).status === 200)).toBe(
        true,
      );
    } finally {
      await rs.close();
      await stub.close();
    }
  });
});
