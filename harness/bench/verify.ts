/**
 * The measurement behind the RS's choice of signature verification (README.md, "Performance"):
 * RS256 verifications per second on one core with node's synchronous crypto.verify, and with
 * jose's WebCrypto compactVerify awaited one at a time and 64 at a time.
 *
 *   node harness/bench/verify.ts
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { compactVerify, importJWK } from 'jose';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const input = `${encode({ alg: 'RS256', typ: 'at+jwt', kid: 'k' })}.${encode({ iss: 'http://127.0.0.1', aud: 'api', exp: 2e9 })}`;
const token = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;

/** Runs `run` `count` times (each run verifying `per` tokens) and prints verifications per second. */
async function rate(name: string, count: number, run: () => unknown, per = 1): Promise<void> {
  for (let index = 0; index < 200; index++) await run();
  const started = performance.now();
  for (let index = 0; index < count; index++) await run();
  console.log(`${name}: ${Math.round(((count * per) / (performance.now() - started)) * 1000)} verifications/s`);
}

await rate('node crypto.verify (sync)', 20_000, () => {
  const dot = token.lastIndexOf('.');
  return verify('sha256', Buffer.from(token.slice(0, dot), 'latin1'), publicKey, Buffer.from(token.slice(dot + 1), 'base64url'));
});
const joseKey = await importJWK({ ...publicKey.export({ format: 'jwk' }), alg: 'RS256' }, 'RS256');
await rate('jose compactVerify, one at a time', 5_000, () => compactVerify(token, joseKey));
await rate(
  'jose compactVerify, 64 in flight (libuv threads, all cores)',
  300,
  () => Promise.all(Array.from({ length: 64 }, () => compactVerify(token, joseKey))),
  64,
);
