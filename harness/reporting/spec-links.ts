/**
 * Spec clause ids (as checks cite them) → the section of the published text. Unknown forms get
 * no link rather than a guessed one: a wrong link is worse than none for a conformance reader.
 *
 *   RFC9700-4.14.2      → https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 *   RFC7518-A.1         → https://www.rfc-editor.org/rfc/rfc7518#appendix-A.1
 *   RFC6750             → https://www.rfc-editor.org/rfc/rfc6750
 *   OIDC-Discovery-4    → https://openid.net/specs/openid-connect-discovery-1_0.html#section-4
 *   OIDC-Core-3.1.2.1   → https://openid.net/specs/openid-connect-core-1_0.html#section-3.1.2.1
 *   CVE-2022-21449      → https://www.cve.org/CVERecord?id=CVE-2022-21449
 */

const openIdSpecs: Record<string, string> = {
  core: 'openid-connect-core-1_0.html',
  discovery: 'openid-connect-discovery-1_0.html',
  registration: 'openid-connect-registration-1_0.html',
  session: 'openid-connect-session-1_0.html',
  'rp-initiated-logout': 'openid-connect-rpinitiated-1_0.html',
  'back-channel-logout': 'openid-connect-backchannel-1_0.html',
};

const rfcClause = /^RFC(\d{3,5})(?:-([A-Z](?:\.\d+)*|\d+(?:\.\d+)*))?$/i;
const openIdClause = /^OIDC-([A-Za-z-]+?)(?:-(\d+(?:\.\d+)*))?$/;
const cveClause = /^CVE-\d{4}-\d{4,}$/i;

export function specClauseUrl(clause: string): string | undefined {
  const rfc = rfcClause.exec(clause);
  if (rfc) {
    const base = `https://www.rfc-editor.org/rfc/rfc${Number(rfc[1])}`;
    const section = rfc[2];
    if (!section) return base;
    return /^[A-Z]/i.test(section) ? `${base}#appendix-${section.toUpperCase()}` : `${base}#section-${section}`;
  }
  const openId = openIdClause.exec(clause);
  if (openId) {
    const page = openIdSpecs[(openId[1] ?? '').toLowerCase()];
    if (!page) return undefined;
    const base = `https://openid.net/specs/${page}`;
    return openId[2] ? `${base}#section-${openId[2]}` : base;
  }
  if (cveClause.test(clause)) return `https://www.cve.org/CVERecord?id=${clause.toUpperCase()}`;
  return undefined;
}
