import { suite } from '../../harness/runner/check.ts';
import insufficientScope from './insufficient-scope.ts';
import invalidToken from './invalid-token.ts';
import malformedRequest from './malformed-request.ts';
import noCredentials from './no-credentials.ts';
import noTokenEcho from './no-token-echo.ts';
import queryToken from './query-token.ts';
import schemeCase from './scheme-case.ts';

export default suite('rs-errors', 'Resource-server error answers (RFC 6750)', [
  noCredentials,
  invalidToken,
  malformedRequest,
  insufficientScope,
  queryToken,
  schemeCase,
  noTokenEcho,
]);
