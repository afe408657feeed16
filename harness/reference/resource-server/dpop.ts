/**
 * DPoP at the resource server (RFC 9449 §7): a DPoP-bound token is accepted only with the
 * `DPoP` scheme and a fresh proof from the bound key, for this method and URL, hashing this
 * token (`ath`), seen once (replay cache). The proof checks themselves are shared with the
 * issuer (harness/oauth/dpop.ts). Optionally the server demands nonces (§9).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { verifyDpopProof } from '../../oauth/dpop.ts';
import { OAuthError } from '../../oauth/oauth-error.ts';
import type { ReplayCache } from '../../oauth/replay-cache.ts';
import { invalidToken, ResourceError } from './resource-error.ts';
import { parseStrictJsonObject } from './strict-json.ts';

/**
 * Stateless server nonces: the time window's number and an HMAC of it under a per-process
 * secret. A nonce is good in its own window and the next, so every replica of one process
 * agrees and nothing is stored per client.
 */
export class DpopNonces {
  private readonly secret = randomBytes(32);
  private readonly windowMs: number;
  private readonly nowMs: () => number;
  private cached: { window: number; nonce: string } | undefined;

  constructor(windowMs: number, nowMs: () => number) {
    this.windowMs = windowMs;
    this.nowMs = nowMs;
  }

  current(): string {
    const window = Math.floor(this.nowMs() / this.windowMs);
    if (this.cached?.window !== window) this.cached = { window, nonce: `${window}.${this.mac(window)}` };
    return this.cached.nonce;
  }

  accepts(nonce: unknown): boolean {
    if (typeof nonce !== 'string') return false;
    const match = /^(\d{1,15})\.([A-Za-z0-9_-]{22})$/.exec(nonce);
    if (!match) return false;
    const window = Number(match[1]);
    const current = Math.floor(this.nowMs() / this.windowMs);
    if (window !== current && window !== current - 1) return false;
    return timingSafeEqual(Buffer.from(match[2]!), Buffer.from(this.mac(window)));
  }

  private mac(window: number): string {
    return createHmac('sha256', this.secret).update(String(window)).digest().subarray(0, 16).toString('base64url');
  }
}

export interface DpopRequest {
  /** The DPoP header value(s) as received. */
  proof: string | string[] | undefined;
  method: string;
  /** The request URL as the client addressed it (public origin + path). */
  url: string;
  accessToken: string;
  jkt: string;
}

export interface DpopSettings {
  nowSeconds: number;
  maxSkewSeconds: number;
  replayCache: ReplayCache;
  nonces: DpopNonces | undefined;
}

export async function checkDpopProof(request: DpopRequest, settings: DpopSettings): Promise<void> {
  if (settings.nonces && typeof request.proof === 'string' && !settings.nonces.accepts(unverifiedNonce(request.proof))) {
    throw new ResourceError('use_dpop_nonce', 'dpop_nonce', 'a fresh DPoP nonce is required', {
      headers: { 'dpop-nonce': settings.nonces.current() },
    });
  }
  try {
    await verifyDpopProof({
      proof: request.proof,
      method: request.method,
      url: request.url,
      nowSeconds: settings.nowSeconds,
      maxSkewSeconds: settings.maxSkewSeconds,
      accessToken: request.accessToken,
      expectedJkt: request.jkt,
      replayCache: settings.replayCache,
      errorCode: 'invalid_token',
    });
  } catch (error) {
    // Whatever a proof does to the verifier, the answer is a refusal, never a 5xx.
    throw invalidToken('dpop_proof', error instanceof OAuthError ? error.message : 'DPoP proof is invalid');
  }
}

/**
 * The proof's nonce, read before the signature is checked: asking for a nonce costs the
 * client one round trip and reveals nothing, so there is no harm in answering before verifying.
 */
function unverifiedNonce(proof: string): unknown {
  const payload = proof.split('.')[1];
  if (!payload) return undefined;
  return parseStrictJsonObject(Buffer.from(payload, 'base64url'))?.nonce;
}
