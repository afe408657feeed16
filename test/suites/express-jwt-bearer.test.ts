/**
 * The rs-errors, replay and rs-metadata suites against a resource server nobody here wrote:
 * Auth0's express-oauth2-jwt-bearer 1.10 (express 5) with its documented defaults, trusting the
 * harness test issuer. It gets no fail and no error; every warning is a true RFC finding (see
 * suites/README.md), which is the point: a check that fails a correct third-party server is as
 * bad as one that misses a flaw.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileSchema } from '../../harness/profile/schema.ts';
import type { RunningTestIssuer } from '../../harness/test-issuer/server.ts';
import { rsAudience, rsScope, startRsTestIssuer } from '../support/flawed-rs-errors.ts';
import { runSelected } from '../support/run-checks.ts';

let testIssuer: RunningTestIssuer;
let server: Server;

beforeAll(async () => {
  testIssuer = await startRsTestIssuer();
  const app = express();
  // The README's setup: auth() from the issuer's discovery, then a scope requirement; express's
  // default error handler answers with the status and WWW-Authenticate the library sets.
  app.use(
    '/protected',
    auth({ issuerBaseURL: testIssuer.url, audience: rsAudience }),
    requiredScopes(rsScope),
    (request, response) => {
      response.json({ sub: request.auth?.payload.sub ?? null });
    },
  );
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await testIssuer?.close();
});

describe('express-oauth2-jwt-bearer (a real third-party resource server)', () => {
  it('gets no fail and no error; the warnings are true SHOULD findings', async () => {
    const { port } = server.address() as AddressInfo;
    const profile = profileSchema.parse({
      name: 'express-oauth2-jwt-bearer',
      resourceServer: { url: `http://127.0.0.1:${port}/protected`, audience: rsAudience, scope: rsScope, trusts: 'harness' },
    });
    const results = await runSelected(
      { name: profile.name, profile, baseDir: process.cwd(), testIssuer },
      { suites: ['rs-errors', 'replay', 'rs-metadata'] },
    );
    expect(Object.fromEntries([...results].map(([id, result]) => [id, result.outcome]))).toEqual({
      'rs-errors.no-credentials': 'pass',
      'rs-errors.invalid-token': 'pass',
      'rs-errors.malformed-request': 'warn',
      'rs-errors.insufficient-scope': 'pass',
      'rs-errors.query-token': 'warn',
      'rs-errors.scheme-case': 'pass',
      'rs-errors.no-token-echo': 'pass',
      'replay.dpop-valid': 'pass',
      'replay.dpop-jti-replay': 'warn',
      'replay.dpop-htm-htu': 'pass',
      'replay.dpop-iat-window': 'warn',
      'replay.dpop-ath-binding': 'pass',
      'replay.dpop-proof-form': 'pass',
      'replay.dpop-downgrade': 'pass',
      'replay.dpop-nonce': 'skip',
      'replay.bearer-jti-replay': 'skip',
      'rs-metadata.document': 'skip',
      'rs-metadata.authorization-servers': 'skip',
      'rs-metadata.challenge-parameter': 'skip',
      'rs-metadata.bearer-methods': 'skip',
      'rs-metadata.dpop-required': 'skip',
    });
    const reason = (id: string) => results.get(id)!.reason;
    expect(reason('rs-errors.malformed-request')).toMatch(
      /an empty Bearer value: HTTP 400, WWW-Authenticate: Bearer realm="api"/,
    );
    expect(reason('rs-errors.query-token')).toMatch(/access_token query parameter was accepted/);
    expect(reason('replay.dpop-jti-replay')).toMatch(/accepted twice/);
    expect(reason('replay.dpop-iat-window')).toMatch(/iat -300 s is accepted/);
    expect(reason('rs-metadata.document')).toMatch(/publishes no protected resource metadata/);
  });
});
