/**
 * Forgeries made from a token of the target issuer, for a resource server that trusts that
 * issuer (`trusts: issuer`): the harness holds no key the RS trusts, but many cases need none —
 * an unsigned token, an edited or relabelled signature, a key of the attacker's own (an unknown
 * kid among them), a shape no parser should take. Each keeps the real token's header and claims, so the only thing wrong is
 * the one change; names and catalog codes are those of variations.ts. The claim matrix (S13,
 * S16–S24, S29) needs a trusted key and has no case here.
 */
import { randomBytes } from 'node:crypto';
import { assemble, b64url, decodeSegment, segment, signCompact, split } from './compact.ts';
import type { AttackerKey } from './keys.ts';
import { type Expectation, type ForgedToken, kidInjections, sizePadding, tokenSizes } from './variations.ts';

export function mutateIssuedToken(token: string, attacker: AttackerKey): ForgedToken[] {
  const parts = split(token);
  const header = decodeSegment(parts.header);
  const claims = decodeSegment(parts.payload);
  const typ = header.typ;
  const alg = String(header.alg);
  const out: ForgedToken[] = [];
  const add = (check: string, name: string, expect: Expectation, forged: string, description: string) =>
    out.push({ name, check, token: forged, expect, description });
  const withSegments = (changes: { header?: string; payload?: string; signature?: string }) =>
    assemble(changes.header ?? parts.header, changes.payload ?? parts.payload, changes.signature ?? parts.signature);
  const unsigned = (changes: Record<string, unknown>) =>
    assemble(segment({ ...changes, ...(typ !== undefined && { typ }) }), parts.payload, '');

  for (const none of ['none', 'None', 'NONE', 'nOnE'])
    add('S02', `alg-${none}`, 'reject', unsigned({ alg: none }), `the issued token relabelled alg "${none}", signature removed`);
  add(
    'S02',
    'alg-none-signature-kept',
    'reject',
    withSegments({ header: segment({ ...header, alg: 'none' }) }),
    'the issued token relabelled alg none, its signature still attached',
  );

  const signature = Buffer.from(parts.signature, 'base64url');
  const altered = Buffer.from(signature);
  altered[altered.length >> 1]! ^= 0x01;
  const edited = (changes: Record<string, unknown>) => withSegments({ payload: segment({ ...claims, ...changes }) });
  add('S03', 'signature-stripped', 'reject', withSegments({ signature: '' }), 'the issued token without its signature');
  add(
    'S03',
    'signature-truncated',
    'reject',
    withSegments({ signature: parts.signature.slice(0, -8) }),
    'the signature lost 6 bytes',
  );
  add('S03', 'signature-altered', 'reject', withSegments({ signature: b64url(altered) }), 'one bit of the signature flipped');
  add(
    'S03',
    'claims-edited-scope',
    'reject',
    edited({ scope: `${String(claims.scope ?? '')} admin`.trim() }),
    'scope widened under the original signature',
  );
  add('S03', 'claims-edited-sub', 'reject', edited({ sub: 'admin' }), 'sub changed under the original signature');
  add(
    'S03',
    'claims-edited-exp',
    'reject',
    edited({ exp: Number(claims.exp ?? 0) + 86_400 }),
    'exp extended under the original signature',
  );

  const hmacHeader = { alg: 'HS256', ...(typ !== undefined && { typ }) };
  add(
    'S05',
    'hs256-empty-key',
    'reject',
    signCompact(hmacHeader, claims, 'HS256', ''),
    'the issued claims, HS256 with an empty key',
  );
  add(
    'S05',
    'hs256-weak-secret',
    'reject',
    signCompact(hmacHeader, claims, 'HS256', 'secret'),
    'the issued claims, HS256 with "secret"',
  );

  if (alg === 'ES256') {
    add(
      'S06',
      'es256-zero-signature',
      'reject',
      withSegments({ signature: b64url(Buffer.alloc(64)) }),
      'r = s = 0 (CVE-2022-21449)',
    );
    add(
      'S06',
      'es256-zero-signature-der',
      'reject',
      withSegments({ signature: b64url(Buffer.from('3006020100020100', 'hex')) }),
      'r = s = 0 in DER form (CVE-2022-21449)',
    );
  }

  const relabels = alg.startsWith('ES') ? ['RS256', 'HS256'] : ['PS256', 'ES256', 'HS256'];
  for (const other of relabels.filter((candidate) => candidate !== alg)) {
    add(
      'S07',
      `alg-swap-${alg.toLowerCase()}-to-${other.toLowerCase()}`,
      'reject',
      withSegments({ header: segment({ ...header, alg: other }) }),
      `the issued ${alg} token relabelled ${other}, signature kept`,
    );
  }

  const byAttacker = (changes: Record<string, unknown>) =>
    signCompact({ alg: 'RS256', ...(typ !== undefined && { typ }), ...changes }, claims, 'RS256', attacker.privateKey);
  add(
    'S08',
    'jwk-header-attacker',
    'reject',
    byAttacker({ kid: attacker.kid, jwk: attacker.publicJwk }),
    'embedded jwk header (CVE-2018-0114)',
  );
  if (header.kid !== undefined)
    add(
      'S08',
      'jwk-header-attacker-trusted-kid',
      'reject',
      byAttacker({ kid: header.kid, jwk: attacker.publicJwk }),
      "embedded jwk header under the issuer's kid",
    );
  add(
    'S10',
    'x5c-self-signed',
    'reject',
    byAttacker({ x5c: [attacker.certificateBase64Der] }),
    'x5c carries a self-signed certificate for the signing key',
  );

  add(
    'S12',
    'kid-unknown',
    'reject',
    byAttacker({ kid: `unknown-${randomBytes(6).toString('hex')}` }),
    'signed by an unpublished key under a kid nobody has seen',
  );

  for (const [name, kid, what] of kidInjections) {
    add(
      'S11',
      name,
      'reject',
      signCompact({ ...hmacHeader, kid }, claims, 'HS256', ''),
      `kid is a ${what}, signed HS256 with an empty key; must be refused without delay or 5xx`,
    );
  }

  add('S25', 'segments-two', 'reject', `${parts.header}.${parts.payload}`, 'header.payload, no signature segment');
  add('S25', 'segments-four', 'reject', `${token}.${parts.signature}`, 'the issued token with a fourth segment');
  add('S25', 'empty', 'reject', '', 'an empty token');
  add('S25', 'dots-only', 'reject', '..', 'three empty segments');
  add(
    'S25',
    'jwe-shaped-garbage',
    'reject',
    [segment({ alg: 'RSA-OAEP-256', enc: 'A256GCM' }), ...[256, 12, 64, 16].map((bytes) => b64url(randomBytes(bytes)))].join('.'),
    'five segments shaped like a JWE, random contents',
  );
  add('S25', 'bad-characters', 'reject', `${parts.header}.${parts.payload}!.${parts.signature}`, 'a character outside base64url');

  const missing = (4 - (parts.signature.length % 4)) % 4;
  if (missing)
    add(
      'S26',
      'padding-signature',
      'reject',
      withSegments({ signature: parts.signature + '='.repeat(missing) }),
      'signature with "=" padding',
    );
  if (/[-_]/.test(parts.signature))
    add(
      'S26',
      'standard-base64-signature',
      'reject',
      withSegments({ signature: parts.signature.replace(/-/g, '+').replace(/_/g, '/') }),
      'signature in standard base64 ("+" and "/")',
    );

  for (const [name, bytes] of tokenSizes) {
    const padding = sizePadding(bytes);
    add(
      'S27',
      name,
      'reject',
      signCompact(
        { alg: 'RS256', ...(typ !== undefined && { typ }), kid: attacker.kid },
        { ...claims, padding },
        'RS256',
        attacker.privateKey,
      ),
      `a ${bytes / 1024} KiB token (signed by the attacker's key): 400/401/413/431 quickly, and the RS keeps serving`,
    );
  }
  add('S27', 'dots-100000', 'reject', '.'.repeat(100_000), '100 000 dots');
  return out;
}
