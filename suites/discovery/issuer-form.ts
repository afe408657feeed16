// suites/discovery/issuer-form.ts
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

const endpointMembers = [
  'authorization_endpoint',
  'token_endpoint',
  'jwks_uri',
  'userinfo_endpoint',
  'introspection_endpoint',
  'revocation_endpoint',
  'registration_endpoint',
  'end_session_endpoint',
  'pushed_authorization_request_endpoint',
];

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || url.hostname.startsWith('127.');
}

export default check({
  id: 'discovery.issuer-form',
  catalog: 'D03',
  title: 'Issuer has no query or fragment; endpoints use https',
  spec: ['RFC8414-2', 'RFC8414-3.3'],
  level: 'SHOULD',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const { metadata } = await t.steps.discovery();
    const issuer = new URL(String(metadata.issuer ?? t.steps.issuerUrl()));
    t.assert(
      !issuer.search && !issuer.hash && !String(metadata.issuer).includes('#'),
      `issuer ${issuer.href} has a query or fragment`,
    );
    const plain: string[] = [];
    const loopback: string[] = [];
    for (const member of ['issuer', ...endpointMembers]) {
      const value = metadata[member];
      if (typeof value !== 'string') continue;
      const url = URL.canParse(value) ? new URL(value) : t.fail(`${member} is not a URL: ${value}`);
      if (url.protocol === 'https:') continue;
      (isLoopback(url) ? loopback : plain).push(member);
    }
    t.assert(plain.length === 0, `plain http on a non-loopback host: ${plain.join(', ')}`);
    // http is tolerated on loopback (a local test stack) but reported, never silently passed.
    t.assert(loopback.length === 0, `http (loopback only, fine for a local stack, not for production): ${loopback.join(', ')}`);
    t.passReason(`issuer ${issuer.href} has no query or fragment; every advertised endpoint uses https`);
  },
});
