/**
 * Strict reading of a compact JWS (RFC 7515 §7.1): exactly three segments, each canonical
 * base64url (RFC 7515 §2: no padding, no `+` or `/`, no stray bits in the last character), the
 * header a strict JSON object. A token that could be spelled two ways is refused, so one token
 * has one meaning here and in every other parser.
 */
import { type JsonObject, parseStrictJsonObject } from './strict-json.ts';

export interface CompactJws {
  header: JsonObject;
  /** The first two segments: what the signature covers. */
  signingInput: Buffer;
  payloadSegment: string;
  signature: Buffer;
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const sextetOf = new Int8Array(128).fill(-1);
for (let index = 0; index < alphabet.length; index++) sextetOf[alphabet.charCodeAt(index)] = index;

const base64urlCharacters = /^[A-Za-z0-9_-]+$/;

/** RFC 4648 §5 without padding, and canonical: the unused low bits of the last character are zero. */
export function isCanonicalBase64url(segment: string): boolean {
  const length = segment.length;
  // The regular expression runs compiled (about half the time of a character loop over a signature).
  if (length === 0 || length % 4 === 1 || !base64urlCharacters.test(segment)) return false;
  const last = sextetOf[segment.charCodeAt(length - 1)]!;
  const remainder = length % 4;
  if (remainder === 2) return (last & 0x0f) === 0;
  if (remainder === 3) return (last & 0x03) === 0;
  return true;
}

/** The three segments of a compact JWS with the header parsed, or undefined if any part is malformed. */
export function readCompactJws(token: string): CompactJws | undefined {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0) return undefined;
  const headerSegment = token.slice(0, first);
  const payloadSegment = token.slice(first + 1, second);
  const signatureSegment = token.slice(second + 1);
  if (!isCanonicalBase64url(headerSegment) || !isCanonicalBase64url(payloadSegment)) return undefined;
  if (!isCanonicalBase64url(signatureSegment)) return undefined;
  const header = parseStrictJsonObject(Buffer.from(headerSegment, 'base64url'));
  if (!header) return undefined;
  return {
    header,
    signingInput: Buffer.from(token.slice(0, second), 'latin1'),
    payloadSegment,
    signature: Buffer.from(signatureSegment, 'base64url'),
  };
}

/** The claims of a JWS whose signature has been verified; undefined unless a strict JSON object. */
export function readPayload(jws: CompactJws): JsonObject | undefined {
  return parseStrictJsonObject(Buffer.from(jws.payloadSegment, 'base64url'));
}
