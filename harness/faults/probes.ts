/**
 * Probe requests the harness sends beside the load during a game day, for what a pre-minted
 * pool cannot show: tokens the resource server has never seen while its issuer is unreachable
 * (C02 fail closed, C04 unsigned or unknown-key tokens), tokens a skewed issuer mints (C05), and
 * tokens revoked during a phase (C03, C07). Each probe is one request with a deadline; its token
 * never leaves this module (results carry the kind, never the token).
 */
import { randomBytes } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import type { ChaosSubject } from './chaos-environment.ts';

export type ProbeKind =
  | 'unsigned'
  | 'unknown-key'
  | 'unseen-opaque'
  | 'fresh-valid-unanswerable'
  | 'skewed'
  | 'skew-recovered'
  | 'revoked';

export interface ProbeResult {
  kind: ProbeKind;
  phase: string;
  /** Milliseconds since the run started. */
  atMs: number;
  status?: number;
  /** No answer (refused, reset, timed out): the RS may have crashed or hung. */
  error?: string;
  accepted: boolean;
  /** The correct answer is a refusal. */
  mustRefuse: boolean;
  /** The correct answer is acceptance (a fresh token once a skew is over). */
  mustAccept?: boolean;
  note?: string;
}

const probeTimeoutMs = 3000;

export async function present(
  subject: ChaosSubject,
  token: string,
): Promise<{ status?: number; error?: string; durationMs: number }> {
  const started = performance.now();
  try {
    const response = await fetch(subject.resourceServer.url, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(probeTimeoutMs),
    });
    await response.body?.cancel();
    return { status: response.status, durationMs: performance.now() - started };
  } catch (error) {
    const cause = (error as Error).cause as { code?: string } | undefined;
    return { error: cause?.code ?? (error as Error).name, durationMs: performance.now() - started };
  }
}

export const acceptedStatus = (status: number | undefined) => status !== undefined && status >= 200 && status < 300;

function claims(subject: ChaosSubject): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: subject.issuerUrl,
    aud: subject.resourceServer.audience,
    sub: 'chaos-probe',
    client_id: 'chaos-probe',
    ...(subject.resourceServer.scope && { scope: subject.resourceServer.scope }),
    iat: now,
    nbf: now,
    exp: now + 300,
    jti: randomBytes(8).toString('hex'),
  };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** alg none: no signature at all (RFC 8725 §3.1 says never accept it). */
export function unsignedToken(subject: ChaosSubject): string {
  return `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims(subject))}.`;
}

type ProbeKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let probeKey: Promise<ProbeKey> | undefined;

/** Signed by a key the issuer never published, under a new kid each time: the RS refetches its JWKS and must still refuse. */
export async function unknownKeyToken(subject: ChaosSubject): Promise<string> {
  probeKey ??= generateKeyPair('ES256').then((pair) => pair.privateKey);
  return new SignJWT(claims(subject))
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: `chaos-${randomBytes(6).toString('hex')}` })
    .sign(await probeKey);
}

export function unseenOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}
