// suites/discovery/well-known.ts

import { wellKnown, wellKnownUrl } from '../../harness/oauth/well-known.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

export default check({
  id: 'discovery.well-known',
  catalog: 'D01',
  title: 'A discovery document is served at a well-known URL',
  spec: ['OIDC-Discovery-4', 'RFC8414-3'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const issuer = t.steps.issuerUrl();
    const served: string[] = [];
    for (const suffix of [wellKnown.openid, wellKnown.oauth]) {
      const url = wellKnownUrl(issuer, suffix);
      const answer = await t.steps.get(url).catch((error: Error) => {
        t.note(`${url}: no answer (${error.message})`);
        return undefined;
      });
      if (!answer) continue;
      const json = /json/i.test(answer.headers.get('content-type') ?? '');
      t.note(`${url}: HTTP ${answer.status}, content-type ${answer.headers.get('content-type') ?? '(none)'}`);
      if (answer.status === 200 && json && answer.body && typeof answer.body === 'object' && !Array.isArray(answer.body))
        served.push(suffix);
    }
    t.assert(served.length > 0, 'neither well-known URL answers 200 with a JSON object');
    t.passReason(`served at ${served.join(' and ')}`);
  },
});
