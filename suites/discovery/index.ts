import { suite } from '../../harness/runner/check.ts';
import endpointsAnswer from './endpoints-answer.ts';
import issuerForm from './issuer-form.ts';
import issuerMatch from './issuer-match.ts';
import noAlgNone from './no-alg-none.ts';
import noLegacyGrants from './no-legacy-grants.ts';
import pkceS256 from './pkce-s256.ts';
import requiredMembers from './required-members.ts';
import wellKnown from './well-known.ts';

export default suite('discovery', 'Discovery metadata (OIDC Discovery, RFC 8414)', [
  wellKnown,
  issuerMatch,
  issuerForm,
  requiredMembers,
  noAlgNone,
  pkceS256,
  noLegacyGrants,
  endpointsAnswer,
]);
