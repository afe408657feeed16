/**
 * The in-memory profile of a reference stack and the config of its forged-token resource
 * server, whichever environment runs them (embedded processes or containers): the issuer with its
 * clients, browser login and admin requests; the resource server that trusts the harness test
 * issuer (`resourceServer`, the forged-token suites); the resource servers that trust the issuer
 * (`propagation`, every replica, for V08).
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretTempDir } from '../lib/secret-files.ts';
import { type Profile, profileSchema } from '../profile/schema.ts';
import type { ResourceServerConfigInput } from '../reference/resource-server/config.ts';
import type { RunningTestIssuer } from '../test-issuer/server.ts';

/** The reference resource server's audience: tokens for it are requested with resource=api://reference. */
export const audience = 'api://reference';
/** The audience of the resource server that trusts the harness test issuer. */
export const testAudience = 'api://reference-forged';
/** The scope that resource server requires (rs-errors proves insufficient_scope with it). */
export const testScope = 'read';
/** The private_key_jwt client (RFC 7523, T13): its key pair is made per start; only the public JWK goes into the issuer config. */
export const jwtClientId = 'jwt-client';

export interface JwtClientKey {
  /** PEM (PKCS#8) of the private key, in an owner-only temporary folder: never in the reports. */
  privateKeyFile: string;
  /** The public half, for the issuer config. */
  publicJwk: Record<string, unknown>;
  /** Removes the temporary folder. */
  dispose(): void;
}

/** A throwaway key pair for the private_key_jwt client of one start of the stack. */
export function createJwtClientKey(): JwtClientKey {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyDir = secretTempDir('tokenproof-keys-');
  const privateKeyFile = join(keyDir.path, 'jwt-client.key.pem');
  writeFileSync(privateKeyFile, key.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return {
    privateKeyFile,
    publicJwk: { ...key.publicKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'jwt-client-1' },
    dispose: keyDir.remove,
  };
}

/** The secrets one start of the stack generates (the issuer reads them from its environment). */
export interface StackSecrets {
  TOKENPROOF_ADMIN_TOKEN: string;
  TOKENPROOF_PRIMARY_SECRET: string;
  TOKENPROOF_SECONDARY_SECRET: string;
  TOKENPROOF_ALICE_PASSWORD: string;
}

/**
 * The harness-trusting RS refetches an unknown kid at most once per second and refreshes its keys
 * every 2 s, so the key rotation and removal checks (S12, S14, S15) finish in seconds; the profile
 * declares the window S14 must observe. Same values as the embedded stack's.
 */
export const testResourceServerJwks = { cooldown: '1s', refreshInterval: '2s' } as const;
export const testResourceServerJwksCacheWindow = '5s';

export function testResourceServerConfig(testIssuer: RunningTestIssuer): ResourceServerConfigInput {
  return {
    issuer: testIssuer.url,
    jwksUri: testIssuer.jwksUri,
    audience: testAudience,
    requiredScope: [testScope],
    jwks: testResourceServerJwks,
    // RFC 9728 metadata for the rs-metadata suite (a config file decides for itself; this one publishes).
    resourceMetadata: {},
  };
}

export interface ReferenceStackParts {
  name: string;
  /** The issuer identifier, as the harness reaches it. */
  issuerUrl: string;
  secrets: StackSecrets;
  loginRedirectUri: string;
  /** Base URL of the RS that trusts the harness test issuer. */
  testResourceServerUrl: string;
  /** Base URLs of the RSes that trust the issuer (every replica). */
  propagationUrls: string[];
  /** The private_key_jwt client's private key (the issuer knows its public half). */
  jwtClientKeyFile?: string;
}

export function referenceStackProfile(parts: ReferenceStackParts): Profile {
  const { issuerUrl, secrets } = parts;
  const admin = { authorization: `Bearer ${secrets.TOKENPROOF_ADMIN_TOKEN}`, 'content-type': 'application/json' };
  return profileSchema.parse({
    name: parts.name,
    issuer: {
      url: issuerUrl,
      clients: {
        primary: { id: 'primary', secret: secrets.TOKENPROOF_PRIMARY_SECRET, scopes: ['openid', 'read', 'write'] },
        secondary: { id: 'secondary', secret: secrets.TOKENPROOF_SECONDARY_SECRET, scopes: ['openid', 'read', 'write'] },
        public: { id: 'spa', auth: 'none', scopes: ['openid', 'read'] },
        ...(parts.jwtClientKeyFile && {
          privateKeyJwt: { id: jwtClientId, auth: 'private_key_jwt', privateKeyFile: parts.jwtClientKeyFile, scopes: ['read'] },
        }),
      },
      login: {
        redirectUri: parts.loginRedirectUri,
        user: 'alice',
        steps: [
          { fill: '#username', value: 'alice' },
          { fill: '#password', value: secrets.TOKENPROOF_ALICE_PASSWORD },
          { click: 'button[type=submit]' },
        ],
      },
      profile: 'rfc9700',
      admin: {
        rotateKeys: { url: `${issuerUrl}/admin/keys/rotate`, headers: admin, body: '{"activateAfterSeconds":0}' },
        setClockOffset: { url: `${issuerUrl}/admin/clock`, headers: admin, body: '{"offsetSeconds":{{offsetSeconds}}}' },
      },
    },
    resourceServer: {
      url: `${parts.testResourceServerUrl}/protected`,
      audience: testAudience,
      scope: testScope,
      trusts: 'harness',
      jwksCacheWindow: testResourceServerJwksCacheWindow,
    },
    propagation: { resourceServers: parts.propagationUrls.map((url) => `${url}/protected`), audience },
    // Generous SLOs (the reference answers in milliseconds): a newcomer's first run shows SLO
    // gating and the SLO lines on the charts without a loaded CI machine breaching them.
    slo: { revocationPropagation: '5s', validationP95: '300ms', issuanceP95: '500ms', availability: 0.99 },
  });
}
