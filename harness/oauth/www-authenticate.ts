/**
 * Parses `WWW-Authenticate` values (RFC 9110 §11.6.1) into challenges: scheme, auth-params and
 * token68. Hand-written because the checks must judge what a server sent, byte by byte, and the
 * small parsers on npm either lower-case values, drop token68 or stop at the first challenge.
 * Several header fields joined with ", " (as fetch's Headers.get does) parse as one list.
 *
 *   challenge  = auth-scheme [ 1*SP ( token68 / [ auth-param *( OWS "," OWS auth-param ) ] ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 */

export interface Challenge {
  /** As sent; compare case-insensitively (RFC 9110 §11.1). */
  scheme: string;
  /** Parameter names lower-cased (they are case-insensitive); the first occurrence wins. */
  params: Record<string, string>;
  token68?: string;
}

const tchar = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const token68char = /[A-Za-z0-9\-._~+/]/;

export function parseWwwAuthenticate(value: string | null | undefined): Challenge[] {
  if (!value) return [];
  const text = value;
  let i = 0;
  const challenges: Challenge[] = [];

  const skipOws = () => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < text.length && tchar.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  const readQuoted = (): string => {
    // at the opening quote
    i++;
    let out = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      out += text[i];
      i++;
    }
    i++; // the closing quote (or past the end)
    return out;
  };
  /** At `name BWS =`? Leaves i unchanged. */
  const atParam = (): boolean => {
    const start = i;
    const name = readToken();
    skipOws();
    const result = name !== '' && text[i] === '=' && !isToken68Tail();
    i = start;
    return result;
  };
  /** At "=" that only pads a token68 (followed by more "=", a comma or the end). */
  const isToken68Tail = (): boolean => {
    let j = i;
    while (text[j] === '=') j++;
    while (text[j] === ' ' || text[j] === '\t') j++;
    return j - i > 1 || j >= text.length || text[j] === ',';
  };

  while (i < text.length) {
    while (i < text.length && (text[i] === ',' || text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= text.length) break;
    const scheme = readToken();
    if (!scheme) break; // not a challenge: stop rather than guess
    const challenge: Challenge = { scheme, params: {} };
    challenges.push(challenge);
    skipOws();
    if (i >= text.length || text[i] === ',') continue;
    if (!atParam()) {
      // token68, or the next challenge's scheme was not separated by a comma (malformed)
      const start = i;
      while (i < text.length && token68char.test(text[i]!)) i++;
      while (text[i] === '=') i++;
      if (i > start) challenge.token68 = text.slice(start, i);
      continue;
    }
    for (;;) {
      skipOws();
      const name = readToken().toLowerCase();
      skipOws();
      i++; // "="
      skipOws();
      const paramValue = text[i] === '"' ? readQuoted() : readToken();
      if (!(name in challenge.params)) challenge.params[name] = paramValue;
      skipOws();
      if (text[i] !== ',') break;
      const comma = i;
      i++;
      while (text[i] === ',' || text[i] === ' ' || text[i] === '\t') i++;
      if (!atParam()) {
        i = comma;
        break;
      }
    }
  }
  return challenges;
}

/** The first challenge of a scheme (case-insensitive). */
export function challengeFor(challenges: Challenge[], scheme: string): Challenge | undefined {
  const wanted = scheme.toLowerCase();
  return challenges.find((challenge) => challenge.scheme.toLowerCase() === wanted);
}
