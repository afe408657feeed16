/**
 * A conservative estimate of how much of a token is random (RFC 6749 §10.10), from a sample:
 * positions where every sampled token has the same character carry nothing, and each position
 * that varies carries at most log2 of the token's alphabet. A counter or a timestamp shows up
 * as a handful of varying positions; a random 256-bit token as all of them. It is an upper
 * bound of the token's entropy, so a low value is a real finding and a high one is no proof.
 */
export interface EntropyEstimate {
  samples: number;
  distinct: number;
  /** Length of the shortest sampled token. */
  length: number;
  /** Size of the smallest usual alphabet holding every character seen (10, 16, 64, or what was seen). */
  alphabet: number;
  variablePositions: number;
  bits: number;
}

const alphabets: [RegExp, number][] = [
  [/^[0-9]*$/, 10],
  [/^[0-9a-f]*$/, 16],
  [/^[0-9A-F]*$/, 16],
  [/^[A-Za-z0-9]*$/, 62],
  [/^[A-Za-z0-9_-]*$/, 64],
  [/^[A-Za-z0-9+/=]*$/, 64],
  [/^[A-Za-z0-9._~-]*$/, 66],
];

export function estimateEntropy(tokens: string[]): EntropyEstimate {
  const joined = tokens.join('');
  const alphabet = alphabets.find(([pattern]) => pattern.test(joined))?.[1] ?? Math.max(2, new Set(joined).size);
  const length = tokens.length ? Math.min(...tokens.map((token) => token.length)) : 0;
  let variablePositions = 0;
  for (let index = 0; index < length; index++) {
    const first = tokens[0]![index];
    if (tokens.some((token) => token[index] !== first)) variablePositions++;
  }
  return {
    samples: tokens.length,
    distinct: new Set(tokens).size,
    length,
    alphabet,
    variablePositions,
    bits: Math.round(variablePositions * Math.log2(alphabet)),
  };
}

export function describeEstimate(kind: string, estimate: EntropyEstimate): string {
  return `${kind}: ≤ ${estimate.bits} bits (${estimate.variablePositions} of ${estimate.length} positions vary over ${estimate.samples} tokens, alphabet ${estimate.alphabet})`;
}
