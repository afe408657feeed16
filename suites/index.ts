/** Every conformance suite, in run order. A new suite is one import here. */
import type { Suite } from '../harness/runner/check.ts';
import discovery from './discovery/index.ts';
import introspection from './introspection/index.ts';
import jwks from './jwks/index.ts';
import propagation from './propagation/index.ts';
import refresh from './refresh/index.ts';
import replay from './replay/index.ts';
import revocation from './revocation/index.ts';
import rsClaims from './rs-claims/index.ts';
import rsErrors from './rs-errors/index.ts';
import rsMetadata from './rs-metadata/index.ts';
import tokenEndpoint from './token-endpoint/index.ts';
import tokenExchange from './token-exchange/index.ts';

export const allSuites: Suite[] = [
  discovery,
  jwks,
  tokenEndpoint,
  refresh,
  revocation,
  introspection,
  tokenExchange,
  rsClaims,
  rsErrors,
  replay,
  rsMetadata,
  propagation,
];
