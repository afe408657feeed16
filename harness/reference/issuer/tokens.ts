/**
 * Minting and resolving the issuer's tokens: RFC 9068 JWT access tokens (or opaque ones),
 * refresh tokens, OIDC id_tokens, and the revocation of access tokens and whole families.
 */
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { b64urlJson, decodeCompact, signCompact, verifyCompact } from '../../oauth/jws.ts';
import type { IssuerContext } from './context.ts';
import type { SigningKey } from './keys.ts';
import { signInBatch } from './sign-batch.ts';
import { type AccessTokenRecord, type Family, hashSecretValue, randomToken } from './store.ts';

/** CSPRNG bytes drawn 4 KiB at a time and handed out once each: one RAND_bytes call per 256 jtis. */
const jtiPool = Buffer.alloc(4096);
let jtiPoolOffset = jtiPool.length;

/** 128 random bits, base64url: an access token's jti. */
function newJti(): string {
  if (jtiPoolOffset + 16 > jtiPool.length) {
    randomFillSync(jtiPool);
    jtiPoolOffset = 0;
  }
  const jti = jtiPool.toString('base64url', jtiPoolOffset, jtiPoolOffset + 16);
  jtiPool.fill(0, jtiPoolOffset, jtiPoolOffset + 16);
  jtiPoolOffset += 16;
  return jti;
}

/** The encoded JWS header of access tokens, per signing key: the same bytes for every token it signs. */
const accessTokenHeaders = new WeakMap<SigningKey, string>();

/** The JWS signing input `header.claims` of an access token, with the header encoded once per key. */
function accessTokenSigningInput(key: SigningKey, claims: Record<string, unknown>): string {
  let header = accessTokenHeaders.get(key);
  if (header === undefined) {
    header = b64urlJson({ typ: 'at+jwt', kid: key.kid, alg: key.alg });
    accessTokenHeaders.set(key, header);
  }
  return `${header}.${b64urlJson(claims)}`;
}

export interface AccessTokenRequest {
  clientId: string;
  sub: string;
  scope: string[];
  audience: string[];
  familyId?: string;
  jkt?: string;
  act?: Record<string, unknown>;
  authTime?: number;
  /** The token may not outlive this instant (token exchange: the subject token's exp). */
  notAfter?: number;
}

export interface IssuedAccessToken {
  token: string;
  record: AccessTokenRecord;
  expiresIn: number;
}

/**
 * An access token whose record is made and stored but whose JWS is not signed yet: the grants
 * change the store synchronously, and the signature, which touches no state, can wait for the
 * turn's batch (sign-batch.ts).
 */
export type UnsignedAccessToken = { record: AccessTokenRecord; expiresIn: number } & (
  | { /** An opaque token: final already. */ opaque: string }
  | { /** A JWT: its JWS signing input and the key to sign it with. */ signing: { input: string; key: SigningKey } }
);

export function prepareAccessToken(ctx: IssuerContext, request: AccessTokenRequest): UnsignedAccessToken {
  const iat = ctx.clock.nowSeconds();
  const ttl = Math.floor(ctx.config.tokens.accessTokenTtl / 1000);
  const exp = Math.min(iat + ttl, request.notAfter ?? Number.POSITIVE_INFINITY);
  const record: AccessTokenRecord = {
    jti: newJti(),
    clientId: request.clientId,
    sub: request.sub,
    scope: request.scope,
    audience: request.audience,
    issuedAt: iat,
    expiresAt: exp,
    ...(request.familyId && { familyId: request.familyId }),
    ...(request.jkt && { jkt: request.jkt }),
    ...(request.act && { act: request.act }),
  };
  let unsigned: UnsignedAccessToken;
  if (ctx.config.tokens.format === 'opaque') {
    const token = randomToken();
    record.tokenHash = hashSecretValue(token);
    ctx.store.opaqueAccessTokens.set(record.tokenHash, record);
    unsigned = { record, expiresIn: exp - iat, opaque: token };
  } else {
    const key = ctx.keys.signingKey();
    const claims: Record<string, unknown> = {
      iss: ctx.issuer,
      sub: record.sub,
      aud: record.audience.length === 1 ? record.audience[0] : record.audience,
      exp,
      iat,
      jti: record.jti,
      client_id: record.clientId,
      ...(record.scope.length > 0 && { scope: record.scope.join(' ') }),
      ...(request.authTime !== undefined && { auth_time: request.authTime }),
      ...(record.jkt && { cnf: { jkt: record.jkt } }),
      ...(record.act && { act: record.act }),
    };
    unsigned = { record, expiresIn: exp - iat, signing: { input: accessTokenSigningInput(key, claims), key } };
  }
  if (request.familyId) {
    ctx.store.families
      .get(request.familyId)
      ?.accessTokens.set(record.jti, { expiresAt: exp, ...(record.tokenHash && { tokenHash: record.tokenHash }) });
    ctx.store.accessTokenFamily.set(record.jti, request.familyId);
  }
  return unsigned;
}

/** The token, signed with the other signatures asked for in this turn of the event loop (sign-batch.ts). */
export async function batchSignAccessToken(unsigned: UnsignedAccessToken): Promise<IssuedAccessToken> {
  if ('opaque' in unsigned) return { token: unsigned.opaque, record: unsigned.record, expiresIn: unsigned.expiresIn };
  const { input, key } = unsigned.signing;
  const signature = await signInBatch(key.alg, Buffer.from(input), key.privateKey);
  return { token: `${input}.${signature.toString('base64url')}`, record: unsigned.record, expiresIn: unsigned.expiresIn };
}

export function issueRefreshToken(ctx: IssuerContext, family: Family, scope: string[]): { token: string; hash: string } {
  const token = randomToken();
  const hash = hashSecretValue(token);
  ctx.store.refreshTokens.set(hash, {
    familyId: family.id,
    clientId: family.clientId,
    scope,
    expiresAt: family.expiresAt,
    state: 'active',
  });
  family.refreshTokenHashes.add(hash);
  return { token, hash };
}

export function createFamily(
  ctx: IssuerContext,
  grant: Pick<Family, 'clientId' | 'sub' | 'scope' | 'audience' | 'authTime'> & { jkt?: string },
): Family {
  const family: Family = {
    id: randomBytes(12).toString('base64url'),
    ...grant,
    revoked: false,
    accessTokens: new Map(),
    refreshTokenHashes: new Set(),
    expiresAt: ctx.clock.nowSeconds() + Math.floor(ctx.config.tokens.refreshTokenTtl / 1000),
  };
  ctx.store.families.set(family.id, family);
  return family;
}

export function issueIdToken(
  ctx: IssuerContext,
  input: {
    clientId: string;
    sub: string;
    nonce?: string;
    authTime: number;
    accessToken: string;
    claims: Record<string, unknown>;
  },
): string {
  const key = ctx.keys.signingKey();
  const iat = ctx.clock.nowSeconds();
  const digest = createHash('sha256').update(input.accessToken).digest();
  return signCompact(
    { typ: 'JWT', kid: key.kid },
    {
      ...input.claims,
      iss: ctx.issuer,
      sub: input.sub,
      aud: input.clientId,
      exp: iat + Math.floor(ctx.config.tokens.idTokenTtl / 1000),
      iat,
      auth_time: input.authTime,
      at_hash: digest.subarray(0, digest.length / 2).toString('base64url'),
      ...(input.nonce && { nonce: input.nonce }),
    },
    key.alg,
    key.privateKey,
  );
}

/** The record of an access token this issuer issued that is still active, else undefined. */
export function resolveAccessToken(ctx: IssuerContext, token: string): AccessTokenRecord | undefined {
  const now = ctx.clock.nowSeconds();
  const record = ctx.config.tokens.format === 'opaque' ? resolveOpaque(ctx, token) : resolveJwt(ctx, token);
  if (!record || record.expiresAt <= now || ctx.store.revokedAccessTokens.has(record.jti)) return undefined;
  const familyId = record.familyId ?? ctx.store.accessTokenFamily.get(record.jti);
  if (familyId && ctx.store.families.get(familyId)?.revoked !== false) return undefined;
  return familyId ? { ...record, familyId } : record;
}

function resolveOpaque(ctx: IssuerContext, token: string): AccessTokenRecord | undefined {
  return ctx.store.opaqueAccessTokens.get(hashSecretValue(token));
}

function resolveJwt(ctx: IssuerContext, token: string): AccessTokenRecord | undefined {
  const decoded = decodeCompact(token);
  if (decoded?.header.typ !== 'at+jwt') return undefined;
  const key = ctx.keys.find(decoded.header.kid);
  if (!key || decoded.header.alg !== key.alg || !verifyCompact(decoded, key.alg, key.publicKey)) return undefined;
  const claims = decoded.payload;
  if (claims.iss !== ctx.issuer || typeof claims.jti !== 'string' || typeof claims.exp !== 'number') return undefined;
  const cnf = claims.cnf as { jkt?: unknown } | undefined;
  return {
    jti: claims.jti,
    clientId: String(claims.client_id),
    sub: String(claims.sub),
    scope: typeof claims.scope === 'string' ? claims.scope.split(' ') : [],
    audience: Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud)],
    issuedAt: Number(claims.iat),
    expiresAt: claims.exp,
    ...(typeof cnf?.jkt === 'string' && { jkt: cnf.jkt }),
    ...(typeof claims.act === 'object' && claims.act !== null && { act: claims.act as Record<string, unknown> }),
  };
}

export function revokeAccessToken(ctx: IssuerContext, record: AccessTokenRecord): void {
  if (record.tokenHash) ctx.store.opaqueAccessTokens.delete(record.tokenHash);
  else ctx.store.revokedAccessTokens.set(record.jti, record.expiresAt);
  ctx.metrics.revocations.inc({ kind: 'access_token' });
  ctx.events.publish({
    kind: 'access_token',
    clientId: record.clientId,
    jti: record.jti,
    exp: record.expiresAt,
    ...(record.tokenHash && { tokenHash: record.tokenHash }),
    ...(record.familyId && { familyId: record.familyId }),
  });
}

/** Revokes a grant: its refresh tokens and every access token issued from it. */
export function revokeFamily(ctx: IssuerContext, familyId: string): void {
  const family = ctx.store.families.get(familyId);
  if (!family || family.revoked) return;
  family.revoked = true;
  for (const hash of family.refreshTokenHashes) {
    const record = ctx.store.refreshTokens.get(hash);
    if (record) record.state = 'revoked';
  }
  ctx.metrics.revocations.inc({ kind: 'family' });
  ctx.events.publish({ kind: 'family', clientId: family.clientId, familyId, exp: family.expiresAt });
  for (const [jti, token] of family.accessTokens) {
    if (token.tokenHash) ctx.store.opaqueAccessTokens.delete(token.tokenHash);
    else ctx.store.revokedAccessTokens.set(jti, token.expiresAt);
    ctx.events.publish({
      kind: 'access_token',
      clientId: family.clientId,
      jti,
      familyId,
      exp: token.expiresAt,
      ...(token.tokenHash && { tokenHash: token.tokenHash }),
    });
  }
}
