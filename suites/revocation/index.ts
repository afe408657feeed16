import { suite } from '../../harness/runner/check.ts';
import accessToken from './access-token.ts';
import clientAuth from './client-auth.ts';
import crossClient from './cross-client.ts';
import unknownToken from './unknown-token.ts';
import wrongHint from './wrong-hint.ts';

export default suite('revocation', 'Token revocation (RFC 7009)', [
  accessToken,
  unknownToken,
  wrongHint,
  clientAuth,
  crossClient,
]);
