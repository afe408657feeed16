import { suite } from '../../harness/runner/check.ts';
import authorizationServers from './authorization-servers.ts';
import bearerMethods from './bearer-methods.ts';
import challengeParameter from './challenge-parameter.ts';
import document from './document.ts';
import dpopRequired from './dpop-required.ts';

export default suite('rs-metadata', 'Protected resource metadata (RFC 9728)', [
  document,
  authorizationServers,
  challengeParameter,
  bearerMethods,
  dpopRequired,
]);
