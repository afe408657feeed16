/**
 * The harness test issuer (DESIGN.md "The test issuer"): discovery and a JWKS it controls, a
 * forger for every rs-claims token, and the attacker's fetch listener. A resource server under
 * test trusts it (`trusts: harness`), so when the RS refuses a forged token signed by a trusted
 * key, the refusal proves the claim or header check and not merely the signature check.
 *
 * node:http rather than fastify: the JWKS modes need the raw response (headers before a slow
 * body, a body cut short, a request held open), and there are only three routes.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, createClock } from '../lib/clock.ts';
import { wellKnown } from '../oauth/well-known.ts';
import { closeServer, type FetchListener, startFetchListener } from './fetch-listener.ts';
import { createForger, type Forger } from './forge.ts';
import { type JwksMode, JwksResponder } from './jwks-modes.ts';
import { type AddKeyOptions, type AttackerKey, createAttackerKey, KeyRing, type TestKey, type TestKeyAlg } from './keys.ts';
import { RequestLog } from './request-log.ts';
import { type ForgedToken, forgeVariations } from './variations.ts';

export interface HarnessIssuerOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The fetch listener's port; 0 (default) picks a free one. */
  listenerPort?: number;
  /** The resource server's audience: the forged tokens' `aud`. */
  audience: string;
  scope?: string;
  subject?: string;
  clientId?: string;
  tokenTtlSeconds?: number;
  /** Signing keys published at start, one per alg; the first signs by default. Default RS256 and ES256. */
  algs?: TestKeyAlg[];
  /** Also publish an RSA key with `use: enc` (S13). Default true. */
  encryptionKey?: boolean;
  /** Cache-Control sent with the JWKS (unset: none). */
  jwksCacheControl?: string;
  /** Clock for forged iat/nbf/exp; shift it to forge tokens from a skewed issuer. */
  clock?: Clock;
}

export interface RunningTestIssuer {
  /** The issuer identifier (no trailing slash): what the RS must expect as `iss`. */
  url: string;
  jwksUri: string;
  /** OpenID discovery URL; `/.well-known/oauth-authorization-server` serves the same metadata. */
  discoveryUri: string;
  port: number;
  keys: KeyRing;
  attacker: AttackerKey;
  forger: Forger;
  listener: FetchListener;
  /** Every GET of the JWKS, whatever the mode answered. */
  jwksFetches: RequestLog;
  /** Every request to the issuer (discovery, JWKS, anything else). */
  requests: RequestLog;
  /** The named forgeries of CHECKS.md rs-claims; `allowedAlgs` is the RS's allow-list, `typ` the one it accepts. */
  variations(options?: { allowedAlgs?: readonly string[]; typ?: string }): Promise<ForgedToken[]>;
  /** Publishes a new signing key for `alg` (the forger signs with it from now on); returns its kid. */
  rotate(alg?: TestKeyAlg): Promise<string>;
  /** Unpublishes a key; the forger can still sign with it (S14). */
  removeKey(kid: string): TestKey;
  /** Publishes an extra key, e.g. `{ alg: 'RS256', use: 'enc' }` or one advertised with a wrong alg (S13). */
  addKey(options: AddKeyOptions): Promise<TestKey>;
  /** A key that is never published (one per alg). */
  untrustedKey(alg?: TestKeyAlg): Promise<TestKey>;
  setJwksMode(mode: JwksMode): void;
  jwksMode(): JwksMode;
  /** JWKS requests held open right now by the `hang` or `slow` modes. */
  jwksPending(): number;
  close(): Promise<void>;
}

export const jwksPath = '/jwks';
const metadataPaths: string[] = [wellKnown.openid, wellKnown.oauth];

export async function startHarnessIssuer(options: HarnessIssuerOptions): Promise<RunningTestIssuer> {
  const host = options.host ?? '127.0.0.1';
  const algs = options.algs ?? ['RS256', 'ES256'];
  if (algs.length === 0) throw new Error('the test issuer needs at least one signing algorithm');
  const keys = await KeyRing.create(algs);
  if (options.encryptionKey ?? true) await keys.add({ alg: 'RS256', use: 'enc' });
  const attacker = await createAttackerKey();
  const listener = await startFetchListener({
    host,
    port: options.listenerPort ?? 0,
    attacker,
    impersonatedKids: () => keys.publishedKeys().map((key) => key.kid),
  });

  const requests = new RequestLog();
  const jwksFetches = new RequestLog();
  const jwks = new JwksResponder({
    body: () => JSON.stringify(keys.jwks()),
    ...(options.jwksCacheControl !== undefined && { cacheControl: options.jwksCacheControl }),
  });
  let metadata = '';

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    requests.record(request);
    request.resume();
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') return sendJson(response, 405, { error: 'method_not_allowed' });
    if (path === jwksPath) {
      jwksFetches.record(request);
      return jwks.respond(request, response);
    }
    if (path !== undefined && metadataPaths.includes(path)) return sendText(response, 200, metadata);
    sendJson(response, 404, {
      error: 'not_found',
      error_description: 'the tokenproof test issuer serves discovery and a JWKS only',
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
  } catch (error) {
    await listener.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const jwksUri = `${url}${jwksPath}`;
  metadata = JSON.stringify({
    issuer: url,
    jwks_uri: jwksUri,
    // Endpoints a metadata validator expects; the test issuer never issues through them (404).
    authorization_endpoint: `${url}/authorize`,
    token_endpoint: `${url}/token`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    grant_types_supported: ['authorization_code', 'client_credentials'],
    id_token_signing_alg_values_supported: algs,
    token_endpoint_auth_methods_supported: ['client_secret_basic'],
  });

  const forger = createForger({
    issuer: url,
    audience: options.audience,
    scope: options.scope ?? 'read',
    subject: options.subject ?? 'tokenproof-user',
    clientId: options.clientId ?? 'tokenproof-client',
    ttlSeconds: options.tokenTtlSeconds ?? 300,
    keys,
    clock: options.clock ?? createClock(),
    defaultAlg: algs[0]!,
  });

  return {
    url,
    jwksUri,
    discoveryUri: `${url}${metadataPaths[0]}`,
    port,
    keys,
    attacker,
    forger,
    listener,
    jwksFetches,
    requests,
    variations: (variationOptions = {}) =>
      forgeVariations({
        forger,
        keys,
        attacker,
        listener,
        ...(variationOptions.allowedAlgs && { allowedAlgs: variationOptions.allowedAlgs }),
        ...(variationOptions.typ && { typ: variationOptions.typ }),
      }),
    rotate: async (alg = algs[0]!) => (await keys.rotate(alg)).kid,
    removeKey: (kid) => keys.remove(kid),
    addKey: (keyOptions) => keys.add(keyOptions),
    untrustedKey: (alg = 'RS256') => keys.untrustedKey(alg),
    setJwksMode: (mode) => jwks.setMode(mode),
    jwksMode: () => jwks.mode(),
    jwksPending: () => jwks.pending(),
    async close() {
      jwks.close();
      await Promise.all([closeServer(server), listener.close()]);
    },
  };
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  sendText(response, status, JSON.stringify(body));
}
