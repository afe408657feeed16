/**
 * Escaping for the text formats reporters write. Check reasons and evidence carry whatever a
 * target sent back (HTML error pages, control characters, `]]>`), so every string is escaped at
 * the point where it enters markup, never trusted to be "plain".
 */

/** Characters XML 1.0 cannot carry at all, even as references (C0 controls except tab/LF/CR, lone surrogates, U+FFFE/FFFF). */
const invalidXmlChars = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function stripInvalidXmlChars(text: string): string {
  return text.replace(invalidXmlChars, '');
}

/** Element content. `>` is escaped too, so `]]>` can never appear in the output. */
export function escapeXmlText(text: string): string {
  return stripInvalidXmlChars(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A double- or single-quoted attribute value; tab, LF and CR become references so parsers keep them. */
export function escapeXmlAttr(text: string): string {
  return escapeXmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** HTML text or attribute value (the same rules suffice for both when attributes are quoted). */
export function escapeHtml(text: string): string {
  return stripInvalidXmlChars(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON to embed inside `<script type="application/json">`. `<`, `>` and `&` become JSON unicode
 * escapes, so no value can close the script element or open a comment; U+2028/2029 too, for
 * consumers that still evaluate JSON as JavaScript. JSON.parse restores every character.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
