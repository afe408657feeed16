import { suite } from '../../harness/runner/check.ts';
import algAllowList from './alg-allow-list.ts';
import algNone from './alg-none.ts';
import audience from './audience.ts';
import canonicalBase64url from './canonical-base64url.ts';
import criticalHeaders from './critical-headers.ts';
import duplicateMembers from './duplicate-members.ts';
import ecdsaSignatures from './ecdsa-signatures.ts';
import embeddedJwk from './embedded-jwk.ts';
import expiry from './expiry.ts';
import explicitTyping from './explicit-typing.ts';
import hmacKeyConfusion from './hmac-key-confusion.ts';
import hmacWeakKey from './hmac-weak-key.ts';
import issuer from './issuer.ts';
import jkuX5u from './jku-x5u.ts';
import jweConfusion from './jwe-confusion.ts';
import keyType from './key-type.ts';
import kidInjection from './kid-injection.ts';
import leeway from './leeway.ts';
import malformed from './malformed.ts';
import notBefore from './not-before.ts';
import otherJwtKinds from './other-jwt-kinds.ts';
import removedKey from './removed-key.ts';
import rotatedKey from './rotated-key.ts';
import signatureIntegrity from './signature-integrity.ts';
import tokenSize from './token-size.ts';
import typeConfusion from './type-confusion.ts';
import unknownKid from './unknown-kid.ts';
import validToken from './valid-token.ts';
import x5cSelfSigned from './x5c-self-signed.ts';

/** S01–S29 in catalog order: the positive control first, the key changes (S12–S15) before the claim matrix. */
export default suite('rs-claims', 'Resource server: forged tokens (RFC 8725, RFC 9068, RFC 7515, RFC 7519)', [
  validToken,
  algNone,
  signatureIntegrity,
  hmacKeyConfusion,
  hmacWeakKey,
  ecdsaSignatures,
  algAllowList,
  embeddedJwk,
  jkuX5u,
  x5cSelfSigned,
  kidInjection,
  unknownKid,
  keyType,
  removedKey,
  rotatedKey,
  expiry,
  notBefore,
  audience,
  issuer,
  explicitTyping,
  otherJwtKinds,
  criticalHeaders,
  duplicateMembers,
  typeConfusion,
  malformed,
  canonicalBase64url,
  tokenSize,
  jweConfusion,
  leeway,
]);
