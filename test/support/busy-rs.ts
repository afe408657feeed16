/**
 * A deliberately flawed resource server for the load tests: it cuts a corner only when it is busy.
 * Below BUSY_RATE requests per second it forwards every request to a real reference resource
 * server (strict: it passes the rs-claims suite); above it, it answers from a "fast path" that
 * decodes the JWT and checks iss, aud and exp but skips the signature, as a cache keyed on the
 * claims would. A forged token (edited claims under the original signature) then gets a 200.
 *
 * Started as a launched target: `node test/support/busy-rs.ts` with PORT, ISSUER, JWKS_URI,
 * AUDIENCE, SCOPE and BUSY_RATE in its environment; /health is its ready URL.
 */
import { createServer, request as forward } from 'node:http';
import { decodeJwt } from 'jose';
import { startResourceServer } from '../../harness/reference/resource-server/server.ts';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`busy-rs: ${name} is required`);
  return value;
};

const busyRate = Number(process.env['BUSY_RATE'] ?? '50');
const audience = env('AUDIENCE');
const issuer = env('ISSUER');
const strict = await startResourceServer({
  issuer,
  jwksUri: env('JWKS_URI'),
  audience,
  ...(process.env['SCOPE'] && { requiredScope: [process.env['SCOPE']] }),
  logLevel: 'silent',
});

// The busy signal: requests per second, sustained over the last two whole seconds, so a short
// burst of sequential conformance requests does not count as load and k6's steady rate does.
const counts = new Map<number, number>();
let maxSustained = 0;
function sustainedRate(): number {
  const second = Math.floor(Date.now() / 1000);
  counts.set(second, (counts.get(second) ?? 0) + 1);
  for (const key of counts.keys()) if (key < second - 3) counts.delete(key);
  const rate = Math.min(counts.get(second - 1) ?? 0, counts.get(second - 2) ?? 0);
  maxSustained = Math.max(maxSustained, rate);
  return rate;
}

function fastPathAccepts(authorization: string | undefined): boolean {
  const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (!token) return false;
  try {
    const claims = decodeJwt(token);
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    return claims.iss === issuer && audiences.includes(audience) && (claims.exp ?? 0) > Date.now() / 1000;
  } catch {
    return false;
  }
}

const server = createServer((request, response) => {
  const busy = request.url?.startsWith('/protected') && sustainedRate() > busyRate;
  if (busy && fastPathAccepts(request.headers.authorization)) {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    return;
  }
  const upstream = forward(
    `${strict.url}${request.url ?? '/'}`,
    { method: request.method, headers: request.headers },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  upstream.on('error', () => response.writeHead(502).end());
  request.pipe(upstream);
});
server.listen(Number(env('PORT')), '127.0.0.1');

const stop = async () => {
  process.stdout.write(`busy-rs: highest sustained rate ${maxSustained}/s (fast path above ${busyRate}/s)\n`);
  server.close();
  await strict.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
