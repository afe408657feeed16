import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { afterValidDpop, dpopSession, sendVariations } from './proofs.ts';

export default check({
  id: 'replay.dpop-htm-htu',
  catalog: 'P03',
  title: 'A proof for another method or URL is refused; htu is compared normalised',
  spec: ['RFC9449-4.3', 'RFC3986-6.2.2', 'RFC3986-6.2.3'],
  level: 'MUST',
  needs: ['resourceServer'],
  dependsOn: afterValidDpop,
  async run(t: CheckContext) {
    const session = await dpopSession(t);
    const results = await sendVariations(t, session, 'P03');
    const wronglyAccepted = results.filter((result) => result.expect === 'reject' && result.accepted);
    t.assert(
      wronglyAccepted.length === 0,
      `proofs for another request were accepted: ${wronglyAccepted.map((result) => result.description).join('; ')} (RFC 9449 §4.3: htm and htu MUST match)`,
    );
    const wronglyRefused = results.filter((result) => result.expect === 'accept' && !result.accepted);
    // §4.3 ignores query and fragment and asks for RFC 3986 normalisation (SHOULD); clients MUST
    // send neither a query nor a fragment (§4.2), so refusing them strands no conformant client.
    t.should(
      wronglyRefused.length === 0,
      `proofs whose htu differs only in spelling were refused: ${wronglyRefused.map((result) => `${result.description} (${result.shown})`).join('; ')} (RFC 9449 §4.3: SHOULD normalise before comparing)`,
    );
    t.passReason(
      `${results.filter((result) => result.expect === 'reject').length} mismatched htm/htu refused, ${results.filter((result) => result.expect === 'accept').length} normalised spellings accepted`,
    );
  },
});
