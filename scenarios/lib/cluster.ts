// setup() for cluster runs (k6-operator): no harness beside k6, so the pool is minted here, once per
// runner before its VUs start (never in the hot loop): valid tokens by client_credentials, forged
// ones by editing their claims under the original signature, revoked ones revoked at the issuer
// and kept only once the resource server refuses them. Expired tokens need an issuer whose clock
// the harness controls, so cluster runs leave them out.
import { sleep } from 'k6';
import encoding from 'k6/encoding';
import http from 'k6/http';
import { authenticated, clientFor } from './client.ts';
import { config, type PoolToken } from './config.ts';
import type { SetupData } from './operations.ts';

// k6 has a console; @types/k6 does not declare it.
declare const console: { warn(message: string): void };

function mint(): string {
  const request = authenticated(clientFor(0), { ...config.tokenParams, grant_type: 'client_credentials' });
  const response = http.post(config.tokenEndpoint ?? '', request.body, { headers: request.headers, tags: { op: 'setup' } });
  const token = response.status === 200 ? (response.json('access_token') as string | undefined) : undefined;
  if (typeof token !== 'string') throw new Error(`setup: the issuer refused client_credentials (HTTP ${response.status})`);
  return token;
}

function forge(token: string): string {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return `${token.slice(0, -8)}AAAAAAAA`;
  const claims = JSON.parse(encoding.b64decode(payload, 'rawurl', 's')) as Record<string, unknown>;
  const edited = { ...claims, sub: `${String(claims['sub'] ?? 'subject')}-forged`, scope: 'read write admin' };
  return `${header}.${encoding.b64encode(JSON.stringify(edited), 'rawurl')}.${signature}`;
}

function refusedByRs(token: string): boolean {
  const response = http.get(config.resourceServerUrl ?? '', {
    headers: { authorization: `Bearer ${token}` },
    tags: { op: 'setup' },
    responseCallback: http.expectedStatuses({ min: 200, max: 499 }),
  });
  return response.status >= 400 && response.status < 500;
}

export function clusterSetup(): SetupData | undefined {
  const cluster = config.cluster;
  if (!cluster) return undefined;
  const forgedCount = Math.round(cluster.poolSize * cluster.forgedShare);
  const revokedCount = config.revocationEndpoint ? Math.round(cluster.poolSize * cluster.revokedShare) : 0;
  const valid: string[] = [];
  for (let i = 0; i < cluster.poolSize - forgedCount - revokedCount; i++) valid.push(mint());
  const invalid: PoolToken[] = valid.slice(0, forgedCount).map((token) => ({ kind: 'forged', token: forge(token) }));
  const revoked: string[] = [];
  for (let i = 0; i < revokedCount; i++) {
    const token = mint();
    const request = authenticated(clientFor(0), { token, token_type_hint: 'access_token' });
    const response = http.post(config.revocationEndpoint ?? '', request.body, {
      headers: request.headers,
      tags: { op: 'setup' },
    });
    if (response.status === 200) revoked.push(token);
  }
  if (config.resourceServerUrl && revoked.length > 0) {
    let waited = 0;
    while (!revoked.every(refusedByRs) && waited < cluster.revocationWaitSeconds) {
      sleep(0.5);
      waited += 0.5;
    }
    if (revoked.every(refusedByRs)) for (const token of revoked) invalid.push({ kind: 'revoked', token });
    else console.warn('setup: the resource server still accepts revoked tokens; they are left out of the load');
  }
  const pool: PoolToken[] = valid.map((token) => ({ kind: 'valid', token }));
  invalid.forEach((entry, index) => {
    pool.splice(Math.floor((index * pool.length) / Math.max(1, invalid.length)), 0, entry);
  });
  const revocable = config.scenario === 'mixed' ? Array.from({ length: 50 }, mint) : [];
  return { pool, revocable };
}
