/**
 * JSON objects for JOSE headers and JWT claims, parsed strictly: valid UTF-8, no byte-order
 * mark, and no member name twice in any object (RFC 7515 §4, RFC 7519 §4: a JWT with duplicate
 * names must be rejected or parsed consistently). JSON.parse silently keeps the last duplicate,
 * so two parsers could read different claims from one token; rejecting is the safe answer.
 *
 * Written by hand because no installed parser reports duplicates; the scan runs after
 * JSON.parse has proven the text well-formed, so it only tracks strings and nesting.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export type JsonObject = Record<string, unknown>;

/** The object encoded in `bytes`, or undefined if it is not one strict JSON object. */
export function parseStrictJsonObject(bytes: Uint8Array): JsonObject | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return hasDuplicateMembers(text) ? undefined : (value as JsonObject);
}

interface ObjectFrame {
  names: Set<string>;
  expectName: boolean;
}
const arrayFrame = null;

/** True if any object in `text` (well-formed JSON) names a member twice, after unescaping. */
export function hasDuplicateMembers(text: string): boolean {
  const stack: (ObjectFrame | typeof arrayFrame)[] = [];
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (char === 0x22 /* " */) {
      let end = index + 1;
      let escaped = false;
      while (text.charCodeAt(end) !== 0x22) {
        if (text.charCodeAt(end) === 0x5c /* \ */) {
          escaped = true;
          end++;
        }
        end++;
      }
      const frame = stack[stack.length - 1];
      if (frame?.expectName) {
        const raw = text.slice(index, end + 1);
        const name = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (frame.names.has(name)) return true;
        frame.names.add(name);
        frame.expectName = false;
      }
      index = end;
    } else if (char === 0x7b /* { */) {
      stack.push({ names: new Set(), expectName: true });
    } else if (char === 0x5b /* [ */) {
      stack.push(arrayFrame);
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      stack.pop();
    } else if (char === 0x2c /* , */) {
      const frame = stack[stack.length - 1];
      if (frame) frame.expectName = true;
    }
  }
  return false;
}
