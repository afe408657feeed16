import { suite } from '../../harness/runner/check.ts';
import validToken from './valid-token.ts';

export default suite('rs-claims', 'Resource server: forged tokens (RFC 8725, RFC 9068, RFC 7515, RFC 7519)', [validToken]);
