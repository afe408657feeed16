import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { dpopProof } from '../../harness/oauth/client.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

export default check({
  id: 'introspection.dpop-binding',
  catalog: 'I06',
  title: 'A DPoP-bound token introspects with cnf.jkt equal to the proof key thumbprint',
  spec: ['RFC9449-6.2', 'RFC7662-2.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  requires: ['dpop'],
  dependsOn: ['introspection.active-token'],
  async run(t: CheckContext) {
    await t.steps.introspectionEndpoint();
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const thumbprint = await calculateJwkThumbprint(await exportJWK(publicKey));
    const tokenEndpoint = await t.steps.endpoint('token_endpoint');
    const proof = await dpopProof({ privateKey, publicKey, alg: 'ES256' }, { htm: 'POST', htu: tokenEndpoint });
    const audience = t.steps.introspectionAudience();
    const params = t.steps.tokenParamsOf();
    const answer = await t.steps.token(
      {
        grant_type: 'client_credentials',
        ...params,
        ...(audience && !('resource' in params) && !('audience' in params) && { resource: audience }),
      },
      t.steps.client(),
      { dpop: proof },
    );
    if (answer.status !== 200 || typeof answer.body.access_token !== 'string')
      t.error(`client_credentials with a DPoP proof failed: HTTP ${answer.status} ${String(answer.body.error ?? '')}`.trim());
    if (String(answer.body.token_type).toLowerCase() !== 'dpop')
      t.skip(
        `the issuer issued a ${String(answer.body.token_type)} token to a client_credentials request with a DPoP proof: no binding to judge`,
      );
    const { body } = await t.steps.requireIntrospection(answer.body.access_token);
    if (body.active !== true) t.skip('the DPoP-bound token was not introspected active (see I01)');
    const jkt = (body.cnf as { jkt?: unknown } | undefined)?.jkt;
    t.assert(jkt !== undefined, 'the introspection answer for a DPoP-bound token has no cnf.jkt (RFC 9449 §6.2)');
    t.assert(jkt === thumbprint, `cnf.jkt is ${JSON.stringify(jkt)}, not the proof key's thumbprint ${thumbprint}`);
    t.should(
      body.token_type === undefined || String(body.token_type).toLowerCase() === 'dpop',
      `token_type is ${JSON.stringify(body.token_type)} for a DPoP-bound token`,
    );
    t.passReason(`cnf.jkt equals the proof key's thumbprint ${thumbprint}`);
  },
});
