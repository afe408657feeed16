// suites/discovery/required-members.ts

import { wellKnown } from '../../harness/oauth/well-known.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

// OIDC Discovery 1.0 §3 REQUIRED members; RFC 8414 §2 requires issuer, response_types_supported
// and (when the code grant is supported) the endpoints below.
const oidcRequired = [
  'issuer',
  'authorization_endpoint',
  'token_endpoint',
  'jwks_uri',
  'response_types_supported',
  'subject_types_supported',
  'id_token_signing_alg_values_supported',
];
const oauthRequired = ['issuer', 'token_endpoint', 'jwks_uri', 'response_types_supported'];

export default check({
  id: 'discovery.required-members',
  catalog: 'D04',
  title: 'Required metadata members are present and well-typed',
  spec: ['OIDC-Discovery-3', 'RFC8414-2'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const { metadata, url } = await t.steps.discovery();
    const required = url.endsWith(wellKnown.openid) ? oidcRequired : oauthRequired;
    const missing = required.filter((member) => metadata[member] === undefined);
    t.assert(missing.length === 0, `${url} lacks ${missing.join(', ')}`);
    const notArrays = required.filter((member) => member.endsWith('_supported') && !Array.isArray(metadata[member]));
    t.assert(notArrays.length === 0, `not JSON arrays: ${notArrays.join(', ')}`);
    const notStrings = required.filter((member) => !member.endsWith('_supported') && typeof metadata[member] !== 'string');
    t.assert(notStrings.length === 0, `not strings: ${notStrings.join(', ')}`);
    t.passReason(`all ${required.length} required members present`);
  },
});
