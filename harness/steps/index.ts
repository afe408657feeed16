/**
 * The shared steps checks are built from (STYLE.md: a negative check is the happy path with one
 * step swapped), split by domain: discovery, token, jwks, admin, resource-server. A suite that
 * needs a new step adds it to its domain's file (or a new domain file wired here), so every
 * other suite can use it. Steps carry the HTTP, register every credential with the redactor, and
 * throw StepError when the target cannot do what the step needs (the outcome is then `error`:
 * the target broke, which is never counted as a pass).
 */
import { adminSteps } from './admin.ts';
import { discoverySteps } from './discovery.ts';
import { dpopSteps } from './dpop.ts';
import { exchangeSteps } from './exchange.ts';
import { introspectionSteps } from './introspection.ts';
import type { StepIO } from './io.ts';
import { jwksSteps } from './jwks.ts';
import { loginSteps } from './login.ts';
import { refreshSteps } from './refresh.ts';
import { resourceMetadataSteps } from './resource-metadata.ts';
import { resourceServerSteps } from './resource-server.ts';
import { revocationSteps } from './revocation.ts';
import { tokenSteps } from './token.ts';

export { RunCache } from './cache.ts';
export type { Discovery, MetadataAnswer } from './discovery.ts';
export { tokenTypes } from './exchange.ts';
export type { IntrospectionAnswer, IntrospectionBody } from './introspection.ts';
export type { StepIO } from './io.ts';
export { type FetchedJwks, type Jwk, jwsHeader, verifyWithKeys } from './jwks.ts';
export {
  type AuthorizationResponse,
  type DpopKey,
  describeLogin,
  type LoginClient,
  redactUrlQuery,
  type UserTokens,
} from './login.ts';
export type { ClientChoice, RevocationAnswer } from './revocation.ts';

export function createSteps(io: StepIO) {
  const discovery = discoverySteps(io);
  const token = tokenSteps(io, discovery);
  const resourceServer = resourceServerSteps(io);
  return {
    ...discovery,
    ...token,
    ...revocationSteps(io, discovery),
    ...introspectionSteps(io, discovery, token),
    ...exchangeSteps(io, discovery, token),
    ...loginSteps(io, discovery, token),
    ...refreshSteps(io, token),
    ...jwksSteps(io, discovery),
    ...adminSteps(io),
    resourceServer,
    resourceMetadata: resourceMetadataSteps(io),
    dpop: dpopSteps(io, resourceServer),
  };
}

export type Steps = ReturnType<typeof createSteps>;
