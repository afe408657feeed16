import { describe, expect, it } from 'vitest';
import { specClauseUrl } from '../../harness/reporting/spec-links.ts';

describe('specClauseUrl', () => {
  it('links RFC sections, appendices and whole RFCs at rfc-editor.org', () => {
    expect(specClauseUrl('RFC9700-4.14.2')).toBe('https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2');
    expect(specClauseUrl('RFC6749-5')).toBe('https://www.rfc-editor.org/rfc/rfc6749#section-5');
    expect(specClauseUrl('RFC7518-A.1')).toBe('https://www.rfc-editor.org/rfc/rfc7518#appendix-A.1');
    expect(specClauseUrl('RFC6750')).toBe('https://www.rfc-editor.org/rfc/rfc6750');
  });

  it('links OpenID Connect specs at openid.net', () => {
    expect(specClauseUrl('OIDC-Discovery-4')).toBe('https://openid.net/specs/openid-connect-discovery-1_0.html#section-4');
    expect(specClauseUrl('OIDC-Core-3.1.2.1')).toBe('https://openid.net/specs/openid-connect-core-1_0.html#section-3.1.2.1');
    expect(specClauseUrl('OIDC-Discovery')).toBe('https://openid.net/specs/openid-connect-discovery-1_0.html');
  });

  it('links CVE ids to their record', () => {
    expect(specClauseUrl('CVE-2022-21449')).toBe('https://www.cve.org/CVERecord?id=CVE-2022-21449');
  });

  it('leaves unknown forms unlinked', () => {
    for (const clause of ['CATALOG-R07', 'OIDC-Unknown-4', 'RFC-4.1', 'RFC9700-4.14.2; rm -rf', 'javascript:alert(1)', '']) {
      expect(specClauseUrl(clause), clause).toBeUndefined();
    }
  });
});
