import { describe, expect, it } from 'vitest';
import { challengeFor, parseWwwAuthenticate } from '../../harness/oauth/www-authenticate.ts';

describe('parseWwwAuthenticate', () => {
  it('reads a Bearer challenge with quoted and token values', () => {
    expect(parseWwwAuthenticate('Bearer realm="example", error="invalid_token", error_description="The token expired"')).toEqual([
      { scheme: 'Bearer', params: { realm: 'example', error: 'invalid_token', error_description: 'The token expired' } },
    ]);
    expect(parseWwwAuthenticate('bearer error=insufficient_scope,scope="read write"')).toEqual([
      { scheme: 'bearer', params: { error: 'insufficient_scope', scope: 'read write' } },
    ]);
  });

  it('splits several challenges, also from joined header fields', () => {
    const challenges = parseWwwAuthenticate('Basic realm="a, b", DPoP algs="ES256 RS256", error="use_dpop_nonce", Bearer');
    expect(challenges.map((challenge) => challenge.scheme)).toEqual(['Basic', 'DPoP', 'Bearer']);
    expect(challenges[0]!.params.realm).toBe('a, b');
    expect(challengeFor(challenges, 'dpop')!.params).toEqual({ algs: 'ES256 RS256', error: 'use_dpop_nonce' });
    expect(challengeFor(challenges, 'BEARER')!.params).toEqual({});
  });

  it('keeps token68 apart from params, escapes in quoted strings, the first duplicate', () => {
    expect(parseWwwAuthenticate('Negotiate abc+/def==, Bearer realm="x\\"y"')).toEqual([
      { scheme: 'Negotiate', params: {}, token68: 'abc+/def==' },
      { scheme: 'Bearer', params: { realm: 'x"y' } },
    ]);
    expect(parseWwwAuthenticate('Bearer Error="a", error="b"')[0]!.params).toEqual({ error: 'a' });
    expect(parseWwwAuthenticate('Bearer resource_metadata="http://h/.well-known/oauth-protected-resource/x"')[0]!.params).toEqual(
      {
        resource_metadata: 'http://h/.well-known/oauth-protected-resource/x',
      },
    );
  });

  it('gives nothing for an absent or empty header', () => {
    expect(parseWwwAuthenticate(null)).toEqual([]);
    expect(parseWwwAuthenticate('')).toEqual([]);
  });
});
