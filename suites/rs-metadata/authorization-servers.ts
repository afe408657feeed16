import { issuerMetadataUrls } from '../../harness/oauth/well-known.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

export default check({
  id: 'rs-metadata.authorization-servers',
  catalog: 'M02',
  title: 'Every listed authorization server answers discovery, and the trusted issuer is listed',
  spec: ['RFC9728-2', 'RFC8414-3', 'RFC8414-3.3', 'OIDC-Discovery-4'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const { document, url } = await t.steps.resourceMetadata.requireMetadata();
    const servers = document.authorization_servers;
    if (servers === undefined) t.skip(`the metadata at ${url} lists no authorization_servers (OPTIONAL, RFC 9728 §2)`);
    t.assert(
      Array.isArray(servers) && servers.every((server) => typeof server === 'string'),
      'authorization_servers is not an array of issuer identifiers (RFC 9728 §2)',
    );
    if ((servers as string[]).length === 0)
      t.skip(`the metadata at ${url} lists an empty authorization_servers: nothing to look up`);
    const broken: string[] = [];
    for (const issuer of servers as string[]) {
      const problems: string[] = [];
      let answered = false;
      for (const metadataUrl of (() => {
        try {
          return issuerMetadataUrls(issuer);
        } catch {
          return [];
        }
      })()) {
        const document = await t.steps.resourceMetadata.fetchDocument(metadataUrl, problems);
        if (!document) continue;
        if (document.issuer === issuer) {
          answered = true;
          break;
        }
        problems.push(`${metadataUrl} names issuer ${JSON.stringify(document.issuer)}`);
      }
      t.note(`${issuer}: ${answered ? 'answers discovery' : problems.join('; ') || 'not a URL'}`);
      if (!answered) broken.push(`${issuer} (${problems.join('; ') || 'not a URL'})`);
    }
    t.assert(
      broken.length === 0,
      `listed authorization servers do not answer discovery with their own issuer: ${broken.join('; ')}`,
    );
    const rsProfile = t.target.profile.resourceServer!;
    const trusted = rsProfile.trusts === 'issuer' ? t.target.profile.issuer?.url : t.target.testIssuer?.url;
    if (trusted && !(servers as string[]).includes(trusted)) {
      const finding = `authorization_servers (${(servers as string[]).join(', ')}) does not list ${trusted}, the issuer the RS trusts`;
      // Pointed at the harness test issuer for the run, an RS may still advertise its real issuer.
      if (rsProfile.trusts === 'issuer') t.fail(finding);
      t.warn(`${finding} (the harness test issuer it was pointed at for this run)`);
    }
    t.passReason(`${(servers as string[]).length} authorization server(s) answer discovery, the trusted issuer among them`);
  },
});
