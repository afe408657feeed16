import { suite } from '../../harness/runner/check.ts';
import keyHygiene from './key-hygiene.ts';
import keySet from './key-set.ts';
import publicOnly from './public-only.ts';
import rotation from './rotation.ts';
import tokenKid from './token-kid.ts';

export default suite('jwks', 'Signing keys (RFC 7517, RFC 8725)', [keySet, publicOnly, keyHygiene, tokenKid, rotation]);
