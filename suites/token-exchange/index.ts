import { suite } from '../../harness/runner/check.ts';
import invalidSubject from './invalid-subject.ts';
import missingTypes from './missing-types.ts';
import noEscalation from './no-escalation.ts';
import unacceptableAudience from './unacceptable-audience.ts';
import validExchange from './valid-exchange.ts';

export default suite('token-exchange', 'Token exchange (RFC 8693)', [
  validExchange,
  missingTypes,
  invalidSubject,
  unacceptableAudience,
  noEscalation,
]);
