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

/**
 * RFC 8414 §2: the issuer "is a URL that uses the https scheme and has no query or fragment
 * components"; RFC 6749 §3.1/§3.2 require TLS at the endpoints. Graded SHOULD here (catalog D03):
 * http on loopback is a local stack, reported but told apart from http on a real host.
 */
export default check({
  id: 'discovery.issuer-form',
  catalog: 'D03',
  title: 'Issuer has no query or fragment; endpoints use https',
  spec: ['RFC8414-2', 'RFC8414-3.3'],
  level: 'SHOULD',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const { metadata } = await t.steps.discovery();
    // The advertised issuer if there is one (D02 judges a missing one), else the configured one.
    const advertised = typeof metadata.issuer === 'string';
    const issuerText = advertised ? String(metadata.issuer) : t.steps.issuerUrl();
    if (!advertised) t.note(`discovery names no issuer; judging the configured issuer ${issuerText}`);
    if (!URL.canParse(issuerText)) t.fail(`the issuer ${issuerText} is not a URL`);
    t.assert(!/[?#]/.test(issuerText), `issuer ${issuerText} has a query or fragment`);
    const members: [string, string][] = [['issuer', issuerText]];
    for (const member of endpointMembers) {
      const value = metadata[member];
      if (typeof value === 'string') members.push([member, value]);
    }
    const plain: string[] = [];
    const loopback: string[] = [];
    for (const [member, value] of members) {
      const url = URL.canParse(value) ? new URL(value) : t.fail(`${member} is not a URL: ${value}`);
      if (url.protocol === 'https:') continue;
      (isLoopback(url) ? loopback : plain).push(member);
    }
    t.assert(plain.length === 0, `plain http on a non-loopback host: ${plain.join(', ')}`);
    // http is tolerated on loopback (a local test stack) but reported, never silently passed.
    t.assert(loopback.length === 0, `http (loopback only, fine for a local stack, not for production): ${loopback.join(', ')}`);
    t.passReason(`issuer ${issuerText} has no query or fragment; it and ${members.length - 1} advertised endpoint(s) use https`);
  },
});
