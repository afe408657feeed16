/**
 * The least a node:http token endpoint can do per client_credentials token: the bench's "sign
 * floor". It reads the form, checks Basic credentials (SHA-256 of both sides, timingSafeEqual),
 * builds RFC 9068 claims with a fresh 128-bit jti, signs them with RS256 (node's one-shot
 * `crypto.sign` with a bare KeyObject, in the same per-turn batches as the issuer:
 * harness/reference/issuer/sign-batch.ts) and answers the same JSON with the same headers as the
 * reference issuer. No routing, no metrics, no limits, no error bodies: it is not an issuer,
 * only the measurement of what node:http and the loopback TCP cost around one signature on this
 * machine, so the issuer's own overhead can be told apart from the platform's.
 *
 * `node harness/bench/sign-floor.ts` with PORT and BENCH_CLIENT_SECRET (client id `bench`); it
 * answers `GET /health` for the launcher.
 */
import { createHash, generateKeyPairSync, randomFillSync, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { parse } from 'fast-querystring';
import { signInBatch } from '../reference/issuer/sign-batch.ts';

const port = Number(process.env.PORT);
const expected = createHash('sha256')
  .update(`bench:${process.env.BENCH_CLIENT_SECRET ?? ''}`)
  .digest();
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const header = Buffer.from(JSON.stringify({ typ: 'at+jwt', kid: 'floor', alg: 'RS256' })).toString('base64url');
const issuer = `http://127.0.0.1:${port}`;
// jtis from a 4 KiB CSPRNG pool, as the issuer draws them: one RAND_bytes per 256 tokens.
const pool = Buffer.alloc(4096);
let offset = pool.length;
const jti = () => {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += 16;
  return pool.toString('base64url', offset - 16, offset);
};

createServer((request, response) => {
  if (request.method !== 'POST') {
    response.end('ok');
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const form = parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string | undefined>;
    const basic = /^basic +([A-Za-z0-9+/=]+)$/i.exec(request.headers.authorization ?? '');
    const presented = createHash('sha256')
      .update(basic ? Buffer.from(basic[1]!, 'base64').toString('utf8') : '')
      .digest();
    if (!timingSafeEqual(presented, expected) || form.grant_type !== 'client_credentials') {
      response.writeHead(401).end();
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: 'bench',
      aud: 'api://bench',
      exp: now + 300,
      iat: now,
      jti: jti(),
      client_id: 'bench',
      scope: form.scope ?? 'read',
    };
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    void signInBatch('RS256', Buffer.from(input), privateKey).then((signature) => {
      const body = JSON.stringify({
        access_token: `${input}.${signature.toString('base64url')}`,
        token_type: 'Bearer',
        expires_in: 300,
        scope: claims.scope,
      });
      response
        .writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
          pragma: 'no-cache',
          'content-length': Buffer.byteLength(body),
        })
        .end(body);
    });
  });
}).listen(port, '127.0.0.1');
