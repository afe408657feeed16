/**
 * The issuer's in-memory state. Refresh tokens, authorization codes and opaque access tokens
 * are kept only as SHA-256 hashes: a dump of this store yields no usable credential.
 * Every record expires, and a periodic sweep keeps memory bounded under load.
 */
import { createHash, randomBytes } from 'node:crypto';

export function hashSecretValue(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** 256 bits from the CSPRNG, base64url: the form of every opaque credential the issuer hands out. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** One authorization grant: everything issued from one login (or one client_credentials call needs none). */
export interface Family {
  id: string;
  clientId: string;
  sub: string;
  scope: string[];
  audience: string[];
  authTime: number;
  /** DPoP key thumbprint the refresh tokens of this family are bound to. */
  jkt?: string;
  revoked: boolean;
  /** Every access token issued in this family (by jti), for revoking them with it. */
  accessTokens: Map<string, { expiresAt: number; tokenHash?: string }>;
  refreshTokenHashes: Set<string>;
  expiresAt: number;
}

export interface RefreshTokenRecord {
  familyId: string;
  clientId: string;
  scope: string[];
  expiresAt: number;
  state: 'active' | 'rotated' | 'revoked';
  /** When this token was exchanged for its successor. */
  rotatedAt?: number;
  /** Hash of the successor, so a grace-window retry can retire it. */
  successorHash?: string;
}

export interface AuthorizationCodeRecord {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string[];
  sub: string;
  nonce?: string;
  authTime: number;
  resource: string[];
  expiresAt: number;
  redeemed: boolean;
  /** Family created by the first redemption: a second redemption revokes it (RFC 6749 §4.1.2). */
  familyId?: string;
}

export interface AccessTokenRecord {
  jti: string;
  clientId: string;
  sub: string;
  scope: string[];
  audience: string[];
  issuedAt: number;
  expiresAt: number;
  familyId?: string;
  jkt?: string;
  act?: Record<string, unknown>;
  /** Opaque tokens only: the hash the token is stored under. */
  tokenHash?: string;
}

/** A login in progress: the validated /authorize request waiting for the user's credentials. */
export interface PendingLogin {
  clientId: string;
  redirectUri: string;
  state?: string;
  nonce?: string;
  codeChallenge: string;
  scope: string[];
  resource: string[];
  expiresAt: number;
}

export class IssuerStore {
  readonly pendingLogins = new Map<string, PendingLogin>();
  readonly families = new Map<string, Family>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly codes = new Map<string, AuthorizationCodeRecord>();
  readonly opaqueAccessTokens = new Map<string, AccessTokenRecord>();
  /** jti of revoked JWT access tokens, until they would have expired anyway. */
  readonly revokedAccessTokens = new Map<string, number>();
  /** jti → family for JWT access tokens issued in a family. */
  readonly accessTokenFamily = new Map<string, string>();

  sweep(nowMs: number): void {
    const nowSeconds = Math.floor(nowMs / 1000);
    for (const [key, record] of this.refreshTokens) if (record.expiresAt <= nowSeconds) this.refreshTokens.delete(key);
    for (const [key, record] of this.codes) if (record.expiresAt <= nowSeconds && !record.familyId) this.codes.delete(key);
    for (const [key, login] of this.pendingLogins) if (login.expiresAt <= nowSeconds) this.pendingLogins.delete(key);
    for (const [key, record] of this.opaqueAccessTokens) if (record.expiresAt <= nowSeconds) this.opaqueAccessTokens.delete(key);
    for (const [key, expiresAt] of this.revokedAccessTokens) if (expiresAt <= nowSeconds) this.revokedAccessTokens.delete(key);
    for (const [key, family] of this.families) {
      if (family.expiresAt > nowSeconds) continue;
      this.families.delete(key);
      for (const jti of family.accessTokens.keys()) this.accessTokenFamily.delete(jti);
    }
    for (const [key, record] of this.codes) {
      if (record.familyId && !this.families.has(record.familyId)) this.codes.delete(key);
    }
  }
}
