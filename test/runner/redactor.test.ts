import { describe, expect, it } from 'vitest';
import { Redactor } from '../../harness/lib/redactor.ts';

const jwt = `${Buffer.from('{"alg":"RS256","typ":"at+jwt"}').toString('base64url')}.${Buffer.from('{"sub":"alice"}').toString('base64url')}.c2lnbmF0dXJlLWJ5dGVzLXRoYXQtbXVzdC1ub3Qtc2hvdw`;
const signature = jwt.split('.')[2]!;

describe('Redactor', () => {
  it('scrubs registered secrets wherever they appear', () => {
    const redactor = new Redactor();
    redactor.register('opaque-refresh-token-0123456789');
    const text = redactor.scrub('got opaque-refresh-token-0123456789 twice: opaque-refresh-token-0123456789');
    expect(text).not.toContain('opaque-refresh-token-0123456789');
    expect(text).toContain('opaque…[redacted 31 chars]');
  });

  it('never shows a JWS signature, registered or not, but keeps header and claims', () => {
    const text = new Redactor().scrub(`token=${jwt}`);
    expect(text).not.toContain(signature);
    expect(text).toContain(`${jwt.split('.')[0]}.${jwt.split('.')[1]}.[signature redacted]`);
  });

  it('masks credentials in headers: Basic keeps only the client id', () => {
    const redactor = new Redactor();
    const basic = `Basic ${Buffer.from('client-a:very-secret-password').toString('base64')}`;
    expect(redactor.header('Authorization', basic)).toBe('Basic [client client-a, secret redacted]');
    expect(redactor.header('authorization', `Bearer ${jwt}`)).not.toContain(signature);
    expect(redactor.header('authorization', 'Bearer opaque-access-token-value')).toBe('Bearer opaque…[redacted 25 chars]');
    expect(redactor.header('DPoP', jwt)).not.toContain(signature);
    expect(redactor.header('cookie', 'session=abc')).toBe('[redacted]');
    expect(redactor.header('content-type', 'application/json')).toBe('application/json');
  });

  it('masks secret fields of form and JSON bodies, at any depth', () => {
    const redactor = new Redactor();
    const form = redactor.body(
      'grant_type=password&username=alice&password=hunter2hunter2&client_secret=shh-shh-shh',
      'application/x-www-form-urlencoded',
    );
    expect(form).toContain('grant_type=password');
    expect(form).toContain('username=alice');
    expect(form).not.toContain('hunter2hunter2');
    expect(form).not.toContain('shh-shh-shh');
    const json = redactor.body(
      JSON.stringify({ access_token: jwt, nested: [{ refresh_token: 'refresh-token-value-xyz' }], scope: 'read' }),
      'application/json',
    );
    expect(json).not.toContain(signature);
    expect(json).not.toContain('refresh-token-value-xyz');
    expect(JSON.parse(json).scope).toBe('read');
  });

  it('truncates long free-text bodies', () => {
    const body = new Redactor().body('x'.repeat(10_000), 'text/plain');
    expect(body.length).toBeLessThan(4200);
    expect(body).toContain('[10000 bytes]');
  });
});
