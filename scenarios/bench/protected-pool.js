// k6 script: GET a protected URL with a different bearer token each request, from a pool of
// distinct tokens (TOKENS_FILE: a JSON array, read once into a SharedArray), so a verified-token
// cache cannot answer: every request pays for a signature verification.
// Each VU takes its own share of the pool (every VUS-th token) into plain request parameters at
// init: reading a SharedArray element parses its JSON on every access, which made k6, not the
// server, the limit (the server then idles between requests and each one costs more CPU).
// Env: TARGET_URL, TOKENS_FILE, VUS, DURATION, SUMMARY.

import { check } from 'k6';
import { SharedArray } from 'k6/data';
import http from 'k6/http';

const vus = Number(__ENV.VUS || 16);

export const options = {
  scenarios: {
    requests: { executor: 'constant-vus', vus, duration: __ENV.DURATION || '10s' },
  },
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

const tokens = new SharedArray('tokens', () => JSON.parse(open(__ENV.TOKENS_FILE)));

// __VU is 0 while k6 reads the options, 1..VUS in each VU's own init.
const params = [];
if (__VU > 0) {
  for (let index = __VU - 1; index < tokens.length; index += vus) {
    params.push({ headers: { authorization: `Bearer ${tokens[index]}` } });
  }
}
let next = 0;

export default function () {
  const response = http.get(__ENV.TARGET_URL, params[next]);
  next = (next + 1) % params.length;
  check(response, { 'status 200': (r) => r.status === 200 });
}

export function handleSummary(data) {
  return { [__ENV.SUMMARY]: JSON.stringify(data) };
}
