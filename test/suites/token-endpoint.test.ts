/**
 * The token-endpoint suite against the real reference issuer (passes) and against the same
 * issuer with one deliberate flaw at a time: the check guarding it fails (MUST) or warns (SHOULD).
 * One issuer serves the whole file; each test switches its flaw in.
 */
import type { KeyObject as NodeKeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../harness/runner/target.ts';
import { RunCache } from '../../harness/steps/index.ts';
import { estimateEntropy } from '../../suites/token-endpoint/entropy.ts';
import { unregisteredScope } from '../../suites/token-endpoint/scope-not-allowed.ts';
import { type Flaw, type FlawedIssuer, startFlawedIssuer } from '../support/flawed-issuer.ts';
import { outcomeOf, runSelected } from '../support/run-checks.ts';
import {
  assertionClaimsIgnored,
  codeNotBoundToClient,
  pkceNotEnforced,
  redirectUriNotCompared,
  reusableCode,
  reuseKeepsTokens,
  rewriteJwt,
  tokenAnswer,
  wrongSecretAccepted,
} from '../support/token-flaws.ts';

let issuer: FlawedIssuer;
/** One login browser for the file's runs against this issuer (disposed at the end). */
const cache = new RunCache();
let withJwtClient: Target;

beforeAll(async () => {
  issuer = await startFlawedIssuer();
  const keyFile = join(tmpdir(), `tokenproof-jwt-client-${process.pid}.pem`);
  const auth = issuer.issuer.jwtClient;
  if (auth.method !== 'private_key_jwt') throw new Error('no private_key_jwt client');
  writeFileSync(keyFile, (auth.privateKey as NodeKeyObject).export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const base = issuer.target().profile.issuer!;
  withJwtClient = issuer.target({
    issuer: {
      ...base,
      clients: { ...base.clients!, privateKeyJwt: { id: 'jwt-client', auth: 'private_key_jwt', privateKeyFile: keyFile } },
    },
  });
});
afterAll(async () => {
  await cache.dispose();
  await issuer?.close();
});
afterEach(() => issuer.setFlaws([]));

async function withFlaws(id: string, ...flaws: Flaw[]) {
  issuer.setFlaws(flaws);
  return outcomeOf(issuer.target(), id, { cache });
}

describe('token-endpoint suite', () => {
  it('passes against the reference issuer (T13 with a private_key_jwt client)', async () => {
    const results = await runSelected(withJwtClient, { suites: ['token-endpoint'] }, { cache });
    const outcomes = Object.fromEntries([...results].map(([id, result]) => [id, `${result.outcome}: ${result.reason}`]));
    for (const [id, outcome] of Object.entries(outcomes)) expect(outcome, id).toMatch(/^pass: /);
    expect(results.size).toBe(13);
    for (const result of results.values())
      expect(result.evidence.exchanges.length + result.evidence.notes.length).toBeGreaterThan(0);
    expect(results.get('token-endpoint.token-entropy')!.reason).toMatch(/access tokens: ≤ \d+ bits .*refresh tokens: ≤ \d+ bits/);
  });

  it('T01 fails without token_type and warns without expires_in', async () => {
    const noType = await withFlaws(
      'token-endpoint.client-credentials',
      tokenAnswer('client_credentials', (body) => delete body.token_type),
    );
    expect(noType.outcome).toBe('fail');
    expect(noType.reason).toMatch(/no token_type/);
    const noExpiry = await withFlaws(
      'token-endpoint.client-credentials',
      tokenAnswer('client_credentials', (body) => delete body.expires_in),
    );
    expect(noExpiry.outcome).toBe('warn');
    expect(noExpiry.reason).toMatch(/no expires_in \(RFC 6749 §5\.1: RECOMMENDED\)/);
  });

  it('T02 fails when a token response lacks Cache-Control: no-store', async () => {
    const result = await withFlaws(
      'token-endpoint.no-store',
      tokenAnswer('refresh_token', (_body, answer) => {
        answer.headers['cache-control'] = 'private';
      }),
    );
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/refresh_token token response has Cache-Control: private/);
  });

  it('T03 fails when a wrong secret is accepted, and when the 401 has no WWW-Authenticate', async () => {
    const accepted = await withFlaws('token-endpoint.wrong-secret', wrongSecretAccepted);
    expect(accepted.outcome).toBe('fail');
    expect(accepted.reason).toMatch(/accepted a wrong secret for client primary/);
    const noChallenge = await withFlaws('token-endpoint.wrong-secret', {
      path: '/token',
      answer: (answer) => {
        delete answer.headers['www-authenticate'];
        return answer;
      },
    });
    expect(noChallenge.outcome).toBe('fail');
    expect(noChallenge.reason).toMatch(/no WWW-Authenticate header/);
  });

  it('T04 fails on a 500 for an unknown grant_type', async () => {
    const result = await withFlaws('token-endpoint.bad-requests', {
      path: '/token',
      answer: (answer) => (answer.status === 400 ? { ...answer, status: 500 } : undefined),
    });
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/an unknown grant_type made the token endpoint fail with HTTP 500/);
  });

  it('T04 warns (RFC 6749 §3.2 binds the client) when an identical repeated grant_type is accepted', async () => {
    const result = await withFlaws('token-endpoint.bad-requests', {
      path: '/token',
      // A form parser that keeps the first of two identical values.
      request: (request) => {
        const form = new URLSearchParams(request.body);
        const grants = form.getAll('grant_type');
        if (grants.length < 2 || new Set(grants).size !== 1) return undefined;
        form.set('grant_type', grants[0]!);
        return { ...request, body: form.toString() };
      },
    });
    expect(result.outcome, result.reason).toBe('warn');
    expect(result.reason).toMatch(/grant_type repeated \(the same value twice\) was accepted \(HTTP 200\): RFC 6749 §3.2/);
  });

  it('T05 fails when an unregistered scope is granted, and passes when the issuer narrows it', async () => {
    const clients = issuer.issuer.issuer.context.clients;
    const original = clients.get('primary')!;
    clients.set('primary', { ...original, scopes: [...original.scopes, unregisteredScope] });
    try {
      const result = await outcomeOf(issuer.target(), 'token-endpoint.scope-not-allowed', { cache });
      expect(result.outcome).toBe('fail');
      expect(result.reason).toMatch(/granted the unregistered scope tokenproof-unregistered-scope \(token claim\)/);
    } finally {
      clients.set('primary', original);
    }
    // Narrowing is allowed (RFC 6749 §3.3): drop the unknown scope from the request, echo what was granted.
    const narrowing: Flaw = {
      path: '/token',
      request: (request) => ({
        ...request,
        body: request.body.replace(/(scope=[^&]*?)(\+|%20)tokenproof-unregistered-scope/, '$1'),
      }),
    };
    const narrowed = await withFlaws('token-endpoint.scope-not-allowed', narrowing);
    expect(narrowed.outcome).toBe('pass');
    expect(narrowed.reason).toMatch(/narrowed to read \(token claim\)/);
  });

  it('T06 fails when PKCE is not enforced', async () => {
    const result = await withFlaws('token-endpoint.pkce-verifier', ...pkceNotEnforced());
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/redeemed with a wrong code_verifier/);
  });

  it('T07 fails when PKCE can be downgraded, and warns when a confidential client may skip it', async () => {
    const downgrade = await withFlaws('token-endpoint.pkce-downgrade', ...pkceNotEnforced());
    expect(downgrade.outcome).toBe('fail');
    expect(downgrade.reason).toMatch(/issued without code_challenge was redeemed with a code_verifier/);
    const skip = await withFlaws('token-endpoint.pkce-downgrade', ...pkceNotEnforced({ skipOnly: true }));
    expect(skip.outcome).toBe('warn');
    expect(skip.reason).toMatch(/confidential client primary may skip PKCE entirely/);
  });

  it('T08 fails on a reusable code and warns when a replay leaves the first tokens alive', async () => {
    const reusable = await withFlaws('token-endpoint.code-reuse', reusableCode);
    expect(reusable.outcome).toBe('fail');
    expect(reusable.reason).toMatch(/redeemed twice/);
    const alive = await withFlaws('token-endpoint.code-reuse', reuseKeepsTokens);
    expect(alive.outcome).toBe('warn');
    expect(alive.reason).toMatch(/refresh token of the first redemption still works/);
  });

  it('T09 fails when redirect_uri is not compared, and when another client can redeem the code', async () => {
    const redirect = await withFlaws('token-endpoint.code-binding', redirectUriNotCompared);
    expect(redirect.outcome).toBe('fail');
    expect(redirect.reason).toMatch(/redeemed with redirect_uri http:\/\/127\.0\.0\.1:\d+\/tokenproof-other-callback/);
    const client = await withFlaws('token-endpoint.code-binding', codeNotBoundToClient);
    expect(client.outcome).toBe('fail');
    expect(client.reason).toMatch(/secondary client redeemed the primary client's code/);
  });

  it('T10 warns on low-entropy (counter) access tokens', async () => {
    let counter = 0;
    const result = await withFlaws(
      'token-endpoint.token-entropy',
      tokenAnswer('client_credentials', (body) => {
        body.access_token = `tp-${String(++counter).padStart(6, '0')}`;
      }),
    );
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/access tokens: ≤ 12 bits \(2 of 9 positions vary over 16 tokens/);
  });

  it('T11 warns on typ JWT access tokens and fails when a token typed at+jwt lacks client_id', async () => {
    const typed = await withFlaws(
      'token-endpoint.rfc9068',
      tokenAnswer('client_credentials', (body) => {
        body.access_token = rewriteJwt(String(body.access_token), (header) => (header.typ = 'JWT'));
      }),
    );
    expect(typed.outcome).toBe('warn');
    expect(typed.reason).toMatch(/not an RFC 9068 access token: typ is "JWT"/);
    const incomplete = await withFlaws(
      'token-endpoint.rfc9068',
      tokenAnswer('client_credentials', (body) => {
        body.access_token = rewriteJwt(String(body.access_token), (_header, claims) => delete claims.client_id);
      }),
    );
    expect(incomplete.outcome).toBe('fail');
    expect(incomplete.reason).toMatch(/types its tokens as RFC 9068 access tokens, but no client_id/);
  });

  it('T12 fails when iat and exp are in milliseconds', async () => {
    const result = await withFlaws(
      'token-endpoint.timestamps',
      tokenAnswer('client_credentials', (body) => {
        body.access_token = rewriteJwt(String(body.access_token), (_header, claims) => {
          claims.iat = Number(claims.iat) * 1000;
          claims.exp = Number(claims.exp) * 1000;
        });
      }),
    );
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/iat \d+ is in milliseconds/);
  });

  it('T13 fails when the assertion claims are not validated', async () => {
    issuer.setFlaws([await assertionClaimsIgnored(issuer.issuer)]);
    const result = await outcomeOf(withJwtClient, 'token-endpoint.client-assertion', { cache });
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/a wrong aud authenticated the client/);
  });
});

describe('entropy estimate', () => {
  it('counts only the positions that vary, at the bits of the alphabet', () => {
    expect(estimateEntropy(['abc1', 'abc2', 'abc3']).bits).toBe(4);
    expect(estimateEntropy(['same', 'same']).distinct).toBe(1);
    const random = Array.from({ length: 8 }, () => crypto.getRandomValues(new Uint8Array(32))).map((bytes) =>
      Buffer.from(bytes).toString('base64url'),
    );
    expect(estimateEntropy(random).bits).toBeGreaterThanOrEqual(240);
  });
});
