/** Admin steps: operations the profile gives the harness a way to trigger on the issuer (key rotation). */
import { StepError } from '../runner/verdict.ts';
import type { StepIO } from './io.ts';

export function adminSteps(io: StepIO) {
  /** Asks the issuer to rotate its signing key, as issuer.admin.rotateKeys describes. */
  async function rotateKeys(): Promise<void> {
    const rotate = io.target.profile.issuer?.admin?.rotateKeys;
    if (!rotate) throw new StepError('the profile gives no way to rotate keys (issuer.admin.rotateKeys)');
    const answer = await io.fetch(rotate.url, {
      method: rotate.method,
      headers: rotate.headers,
      ...(rotate.body !== undefined && { body: rotate.body }),
    });
    if (!answer.ok) throw new StepError(`the rotation request ${rotate.method} ${rotate.url} answered HTTP ${answer.status}`);
    // The key set changed: the run's shared copy of the JWKS is stale.
    io.cache.forget('jwks');
  }

  return { rotateKeys };
}
