/** The JWKS helpers the jwks checks share, now steps of their own domain (harness/steps/jwks.ts). */

import type { CheckContext } from '../../harness/runner/context.ts';
import type { FetchedJwks, Jwk } from '../../harness/steps/index.ts';

export { jwsHeader } from '../../harness/steps/index.ts';
export type { Jwk };

export const fetchJwks = (t: CheckContext): Promise<FetchedJwks> => t.steps.jwks();
export const requireKeys = (t: CheckContext): Promise<Jwk[]> => t.steps.requireKeys();
