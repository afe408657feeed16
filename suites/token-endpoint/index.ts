import { suite } from '../../harness/runner/check.ts';
import badRequests from './bad-requests.ts';
import clientAssertion from './client-assertion.ts';
import clientCredentials from './client-credentials.ts';
import codeBinding from './code-binding.ts';
import codeReuse from './code-reuse.ts';
import noStore from './no-store.ts';
import pkceDowngrade from './pkce-downgrade.ts';
import pkceVerifier from './pkce-verifier.ts';
import rfc9068 from './rfc9068.ts';
import scopeNotAllowed from './scope-not-allowed.ts';
import timestamps from './timestamps.ts';
import tokenEntropy from './token-entropy.ts';
import wrongSecret from './wrong-secret.ts';

export default suite('token-endpoint', 'Token endpoint (RFC 6749, RFC 7636, RFC 9068, RFC 7523)', [
  clientCredentials,
  noStore,
  wrongSecret,
  badRequests,
  scopeNotAllowed,
  pkceVerifier,
  pkceDowngrade,
  codeReuse,
  codeBinding,
  tokenEntropy,
  rfc9068,
  timestamps,
  clientAssertion,
]);
