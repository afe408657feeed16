/** Unit tests of the strict readers the RS puts in front of every token: JSON without duplicates, canonical base64url. */
import { describe, expect, it } from 'vitest';
import { isCanonicalBase64url, readCompactJws } from '../../../harness/reference/resource-server/compact-jws.ts';
import { hasDuplicateMembers, parseStrictJsonObject } from '../../../harness/reference/resource-server/strict-json.ts';

describe('hasDuplicateMembers', () => {
  it.each([
    ['{"a":1,"a":2}', true],
    ['{"a":1,"b":{"c":1,"c":2}}', true],
    ['{"a\\u0062":1,"ab":2}', true],
    ['{"a\\"":1,"a\\"":2}', true],
    ['{"x":[{"y":{"z":1,"z":1}}]}', true],
    ['{"a":1,"b":2}', false],
    ['{"a":{"b":1},"b":2}', false],
    ['[{"a":1},{"a":1}]', false],
    ['{"a":[1,{"a":1}],"b":{"a":1}}', false],
    ['{"a":"{,\\"a\\":}","b":"a"}', false],
    ['{"a":"\\\\","b":1}', false],
    ['{ "a" : 1 , "b" : [ "a" , "a" ] }', false],
  ])('%s → %s', (text, expected) => {
    expect(hasDuplicateMembers(text)).toBe(expected);
  });
});

describe('parseStrictJsonObject', () => {
  const bytes = (text: string) => Buffer.from(text);
  it('reads a JSON object', () => {
    expect(parseStrictJsonObject(bytes('{"a":1}'))).toEqual({ a: 1 });
  });
  it('refuses non-objects, duplicates, a byte-order mark and invalid UTF-8', () => {
    for (const text of ['[]', 'null', '1', '"s"', '{"a":1,"a":1}', '\uFEFF{"a":1}', '{"a":1']) {
      expect(parseStrictJsonObject(bytes(text)), text).toBeUndefined();
    }
    expect(parseStrictJsonObject(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))).toBeUndefined();
  });
  it('keeps __proto__ as a plain own member', () => {
    const value = parseStrictJsonObject(bytes('{"__proto__":{"polluted":true}}'))!;
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect((value as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('isCanonicalBase64url', () => {
  it.each([
    ['QQ', true],
    ['QUE', true],
    ['QUFB', true],
    ['_-8', true],
    ['QR', false],
    ['QUF', false],
    ['A', false],
    ['QUFBA', false],
    ['QQ==', false],
    ['a+b/', false],
    ['', false],
    ['é', false],
  ])('%s → %s', (segment, expected) => {
    expect(isCanonicalBase64url(segment)).toBe(expected);
  });
});

describe('readCompactJws', () => {
  const header = Buffer.from('{"alg":"RS256"}').toString('base64url');
  it('splits exactly three segments', () => {
    expect(readCompactJws(`${header}.e30.c2ln`)?.header).toEqual({ alg: 'RS256' });
    for (const token of [`${header}.e30`, `${header}.e30.c2ln.c2ln`, `${header}..c2ln`, `${header}.e30.`, '']) {
      expect(readCompactJws(token), token).toBeUndefined();
    }
  });
});
