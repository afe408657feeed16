/**
 * What a chaos run adds to an environment: the toxiproxy server, and per subject (the resource
 * server a game day loads) the links between it and the issuer it trusts, and the way to skew
 * that issuer's clock. The embedded stack and a profile target both describe themselves this
 * way, so the chaos phase does not care which one it faces.
 */
import type { Profile } from '../profile/schema.ts';
import type { LinkName } from './gameday.ts';
import type { FaultLink, ToxiproxyServer } from './toxiproxy.ts';

export type SubjectName = 'jwt' | 'introspection' | 'propagation';

/** Mints tokens as the issuer would with its clock moved by offsetSeconds (C05). */
export interface SkewedIssuer {
  /** How the skew is made: `the harness test issuer's forger`, `the reference issuer's admin clock`, `libfaketime`. */
  mechanism: string;
  /** Moves the issuer's clock (0 restores it). */
  setOffset(offsetSeconds: number): Promise<void>;
  /** One fresh token from the issuer at its current offset, and the times it carries. */
  mint(): Promise<{ token: string; nbf?: number; exp: number; iat?: number }>;
}

export interface ChaosSubject {
  name: SubjectName;
  /** The resource server the load validates against (replaces the profile's for the game day). */
  resourceServer: NonNullable<Profile['resourceServer']>;
  /** Its issuer: the harness test issuer or the target's (for probe tokens). */
  issuerUrl: string;
  links: Partial<Record<LinkName, FaultLink>>;
  skew?: SkewedIssuer;
  /** Mints a token this RS accepts, straight from the issuer (not through a link). */
  mintValid(): Promise<string>;
  /** Revokes a token at the issuer (RFC 7009), straight (not through a link); absent when the issuer cannot. */
  revoke?(token: string): Promise<void>;
}

export interface ChaosEnvironment {
  toxiproxy: ToxiproxyServer;
  /** The subjects this environment has; one that needs a process of its own starts on first use. */
  subjects: Partial<Record<SubjectName, () => Promise<ChaosSubject>>>;
  /** Stops what the subjects started. */
  stop(): Promise<void>;
  /** Notes for the report: https upstreams (toxiproxy is TCP-only), links that could not be placed. */
  notes: string[];
}
