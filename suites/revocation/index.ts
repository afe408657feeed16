import { suite } from '../../harness/runner/check.ts';
import accessToken from './access-token.ts';
import clientAuth from './client-auth.ts';
import crossClient from './cross-client.ts';
import refreshKillsAccess from './refresh-kills-access.ts';
import refreshToken from './refresh-token.ts';
import unknownToken from './unknown-token.ts';
import wrongHint from './wrong-hint.ts';

export default suite('revocation', 'Token revocation (RFC 7009)', [
  refreshToken,
  refreshKillsAccess,
  accessToken,
  unknownToken,
  wrongHint,
  clientAuth,
  crossClient,
]);
