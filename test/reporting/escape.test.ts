import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeXmlAttr, escapeXmlText, jsonForScript, stripInvalidXmlChars } from '../../harness/reporting/escape.ts';

describe('XML escaping', () => {
  it('strips characters XML 1.0 cannot carry and keeps tab, LF, CR and astral characters', () => {
    expect(stripInvalidXmlChars('a\u0000b\u0007c\u001bd\tx\ny\rz\uFFFE\uFFFF😀')).toBe('abcd\tx\ny\rz😀');
    expect(stripInvalidXmlChars('lone \uD800 surrogate')).toBe('lone  surrogate');
  });

  it('escapes markup in text so that ]]> cannot appear', () => {
    expect(escapeXmlText('<a href="x">&</a> ]]>')).toBe('&lt;a href="x"&gt;&amp;&lt;/a&gt; ]]&gt;');
  });

  it('escapes quotes and keeps whitespace in attributes as references', () => {
    expect(escapeXmlAttr(`say "hi" & 'bye'\n\tnext`)).toBe('say &quot;hi&quot; &amp; &apos;bye&apos;&#10;&#9;next');
  });

  it('escapes HTML text and attribute values', () => {
    expect(escapeHtml(`<script>alert('x')</script> & "q"`)).toBe(
      '&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;',
    );
  });
});

describe('jsonForScript', () => {
  it('cannot close a script element or open a comment, and parses back to the same value', () => {
    const value = { reason: '</script><script>alert(1)</script><!-- & \u2028 \u2029', n: 1 };
    const embedded = jsonForScript(value);
    expect(embedded).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(embedded)).toEqual(value);
  });
});
