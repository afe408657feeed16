/**
 * A resource server built the way many tutorials build one, on a real vulnerable library:
 * jsonwebtoken 8.5.1 (test-only devDependency `jsonwebtoken-8`) verifying with a key-lookup
 * callback and no `algorithms` list. A token without a signature whose kid resolves to no key
 * reaches the library with no key, and 8.5.1 then defaults the allowed algorithms to ['none']
 * (CVE-2022-23540, fixed in 9.0.0): an unsigned token is accepted. The rs-claims suite must say so.
 */
import { createPublicKey } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { profileSchema } from '../../harness/profile/schema.ts';
import type { Target } from '../../harness/runner/target.ts';
import type { RunningTestIssuer } from '../../harness/test-issuer/server.ts';

type KeyCallback = (error: Error | null, key?: string) => void;
interface JsonWebToken {
  verify(
    token: string,
    key: (header: { kid?: string }, callback: KeyCallback) => void,
    options: { audience: string; issuer: string; clockTolerance: number },
    done: (error: Error | null, payload?: Record<string, unknown>) => void,
  ): void;
}
const jwt = createRequire(import.meta.url)('jsonwebtoken-8') as JsonWebToken;

export interface VulnerableRs {
  protectedUrl: string;
  target(): Target;
  close(): Promise<void>;
}

export async function startVulnerableRs(options: {
  testIssuer: RunningTestIssuer;
  audience: string;
  scope?: string;
}): Promise<VulnerableRs> {
  const { testIssuer, audience } = options;
  const scope = options.scope ?? 'read';
  let pems = new Map<string, string>();
  const load = async () => {
    const body = (await (await fetch(testIssuer.jwksUri, { signal: AbortSignal.timeout(2000) })).json()) as {
      keys: Record<string, unknown>[];
    };
    pems = new Map(
      body.keys
        .filter((jwk) => jwk.use !== 'enc')
        .map((jwk) => [
          String(jwk.kid),
          createPublicKey({ key: jwk as never, format: 'jwk' })
            .export({ type: 'spki', format: 'pem' })
            .toString(),
        ]),
    );
  };
  await load();
  // The tutorial pattern: look the kid up (refetching once when unknown) and hand back what is found.
  const getKey = (header: { kid?: string }, callback: KeyCallback) => {
    const found = header.kid ? pems.get(header.kid) : undefined;
    if (found || !header.kid) return callback(null, found);
    load().then(
      () => callback(null, pems.get(header.kid!)),
      (error: Error) => callback(error),
    );
  };
  const server = createServer((request, response) => {
    request.resume();
    const send = (status: number, body: unknown) =>
      response.writeHead(status, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end(JSON.stringify(body));
    const token = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token) return send(401, { error: 'invalid_token' });
    jwt.verify(token, getKey, { audience, issuer: testIssuer.url, clockTolerance: 30 }, (error, payload) => {
      if (error || !payload) return send(401, { error: 'invalid_token' });
      if (typeof payload.scope !== 'string' || !payload.scope.split(' ').includes(scope))
        return send(403, { error: 'insufficient_scope' });
      send(200, { sub: payload.sub ?? null });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const protectedUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/protected`;
  return {
    protectedUrl,
    target() {
      const profile = profileSchema.parse({
        name: 'jsonwebtoken 8.5.1 resource server',
        resourceServer: { url: protectedUrl, audience, scope, trusts: 'harness' },
      });
      return { name: profile.name, profile, baseDir: process.cwd(), testIssuer };
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
