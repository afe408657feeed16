import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { jwsHeader } from '../../harness/steps/index.ts';
import { jwtClaims, said } from './answers.ts';

const required = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'] as const;

export default check({
  id: 'token-endpoint.rfc9068',
  catalog: 'T11',
  title: 'JWT access tokens follow RFC 9068 (typ at+jwt, required claims, no alg none) where the issuer claims it',
  spec: ['RFC9068-2.1', 'RFC9068-2.2', 'RFC9068-3', 'RFC9068-4'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    const audience = t.profile.resourceServer?.audience;
    let answer = await t.steps.token({ grant_type: 'client_credentials', ...(audience && { resource: audience }) });
    let requestedResource = audience;
    if (answer.status !== 200 && audience) {
      t.note(`with resource=${audience} the issuer answered ${said(answer)}; asking without a resource`);
      answer = await t.steps.token({ grant_type: 'client_credentials' });
      requestedResource = undefined;
    }
    if (answer.status !== 200 || typeof answer.body.access_token !== 'string')
      t.error(`no access token to examine (client_credentials answered ${said(answer)})`);
    const token = answer.body.access_token;
    const header = jwsHeader(token);
    const claims = jwtClaims(token);
    if (!header || !claims) t.skip('the issuer returns opaque access tokens (RFC 9068 is about JWT access tokens)');
    t.note(`access token header ${JSON.stringify(header)}, claims ${Object.keys(claims).join(', ')}`);
    const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
    const typedAsAccessToken = typ === 'at+jwt' || typ === 'application/at+jwt';
    const declared = t.profile.issuer?.capabilities?.includes('rfc9068') ?? false;
    const problems: string[] = [];
    if (!typedAsAccessToken)
      problems.push(`typ is ${header.typ === undefined ? 'absent' : JSON.stringify(header.typ)}, not at+jwt (§2.1)`);
    if (String(header.alg).toLowerCase() === 'none') problems.push('alg is none (§4)');
    const missing = required.filter((claim) => claims[claim] === undefined);
    if (missing.length) problems.push(`no ${missing.join(', ')} (§2.2)`);
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const audienceMismatch = requestedResource !== undefined && !audiences.includes(requestedResource);

    if (!typedAsAccessToken && !declared) {
      // Not claiming RFC 9068: report what is missing, don't fail a profile the issuer never chose.
      t.assert(String(header.alg).toLowerCase() !== 'none', 'the access token is unsigned (alg none)', 'MUST');
      t.warn(`not an RFC 9068 access token: ${problems.join('; ')}`);
      t.passReason('a JWT access token that does not claim RFC 9068');
      return;
    }
    t.assert(
      problems.length === 0,
      `the issuer ${declared ? 'is declared to issue' : 'types its tokens as'} RFC 9068 access tokens, but ${problems.join('; ')}`,
    );
    // §3: aud "SHOULD have the same value as the resource parameter in the request".
    t.should(!audienceMismatch, `aud is ${JSON.stringify(claims.aud)}, not the requested resource ${requestedResource} (§3)`);
    t.passReason(
      `typ ${String(header.typ)}, alg ${String(header.alg)}, ${required.join('/')} present${requestedResource ? `, aud includes ${requestedResource}` : ''}`,
    );
  },
});
