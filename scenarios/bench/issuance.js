// k6 script: client_credentials token requests at the highest rate the issuer sustains.
// Env: TOKEN_URL, CLIENT_ID, CLIENT_SECRET (from the environment, never from the command line),
// VUS, DURATION, SUMMARY (where handleSummary writes the JSON summary).

import { check } from 'k6';
import encoding from 'k6/encoding';
import http from 'k6/http';

export const options = {
  scenarios: {
    issuance: { executor: 'constant-vus', vus: Number(__ENV.VUS || 16), duration: __ENV.DURATION || '10s' },
  },
  discardResponseBodies: false,
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

const authorization = `Basic ${encoding.b64encode(`${__ENV.CLIENT_ID}:${__ENV.CLIENT_SECRET}`)}`;
const params = { headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' } };

export default function () {
  const response = http.post(__ENV.TOKEN_URL, 'grant_type=client_credentials&scope=read', params);
  check(response, { 'token issued': (r) => r.status === 200 && r.body.indexOf('"access_token"') >= 0 });
}

export function handleSummary(data) {
  return { [__ENV.SUMMARY]: JSON.stringify(data) };
}
