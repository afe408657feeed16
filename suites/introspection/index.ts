import { suite } from '../../harness/runner/check.ts';
import activeToken from './active-token.ts';
import agreesWithRevocation from './agrees-with-revocation.ts';
import callerAuth from './caller-auth.ts';
import dpopBinding from './dpop-binding.ts';
import inactiveTokens from './inactive-tokens.ts';
import memberTypes from './member-types.ts';

export default suite('introspection', 'Token introspection (RFC 7662)', [
  activeToken,
  memberTypes,
  inactiveTokens,
  callerAuth,
  agreesWithRevocation,
  dpopBinding,
]);
