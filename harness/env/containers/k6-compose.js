// The k6 service of docker-compose.yml (`docker compose --profile load up k6`): validation load on
// the resource server replicas (Compose's DNS spreads `rs` over every replica). Tokens are minted
// once in setup(), through the `issuer` proxy like any client, so k6 measures the RS, not the
// token endpoint. Plain JavaScript: the k6 image runs it as it is, with nothing to bundle.
import { check } from 'k6';
import encoding from 'k6/encoding';
import http from 'k6/http';

const issuer = __ENV.TOKENPROOF_TOKEN_URL || 'http://toxiproxy:9401/token';
const protectedUrl = __ENV.TOKENPROOF_RS_URL || 'http://rs:9500/protected';
const poolSize = Number(__ENV.TOKENPROOF_POOL_SIZE || 20);

export const options = {
  scenarios: {
    validation: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.TOKENPROOF_RATE || 50),
      timeUnit: '1s',
      duration: __ENV.TOKENPROOF_DURATION || '60s',
      preAllocatedVUs: 20,
    },
  },
  thresholds: { checks: ['rate>0.99'] },
};

const basic = encoding.b64encode(`primary:${__ENV.TOKENPROOF_PRIMARY_SECRET}`);

export function setup() {
  const tokens = [];
  for (let i = 0; i < poolSize; i++) {
    const answer = http.post(
      issuer,
      { grant_type: 'client_credentials', resource: 'api://reference' },
      { headers: { authorization: `Basic ${basic}` } },
    );
    if (answer.status !== 200) throw new Error(`the token endpoint answered ${answer.status}`);
    tokens.push(answer.json('access_token'));
  }
  return { tokens };
}

export default function (data) {
  const token = data.tokens[Math.floor(Math.random() * data.tokens.length)];
  const answer = http.get(protectedUrl, { headers: { authorization: `Bearer ${token}` } });
  check(answer, { 'a valid token is accepted': (response) => response.status === 200 });
}
