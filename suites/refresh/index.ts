import { suite } from '../../harness/runner/check.ts';
import clientAuthRequired from './client-auth-required.ts';
import concurrentRefresh from './concurrent-refresh.ts';
import crossClient from './cross-client.ts';
import dpopBound from './dpop-bound.ts';
import familyAccessTokens from './family-access-tokens.ts';
import familyRevoked from './family-revoked.ts';
import graceWindow from './grace-window.ts';
import refreshGrant from './refresh-grant.ts';
import reuseRefused from './reuse-refused.ts';
import scopeEscalation from './scope-escalation.ts';

export default suite('refresh', 'Refresh tokens: rotation, reuse detection, binding (RFC 6749 §6, RFC 9700, RFC 9449)', [
  refreshGrant,
  scopeEscalation,
  crossClient,
  clientAuthRequired,
  reuseRefused,
  familyRevoked,
  familyAccessTokens,
  graceWindow,
  concurrentRefresh,
  dpopBound,
]);
