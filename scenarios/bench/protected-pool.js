// k6 script: GET a protected URL with a different bearer token each request, from a pool of
// distinct tokens (TOKENS_FILE: a JSON array, read once into a SharedArray), so a verified-token
// cache cannot answer: every request pays for a signature verification.
// Env: TARGET_URL, TOKENS_FILE, VUS, DURATION, SUMMARY.

import { check } from 'k6';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import http from 'k6/http';

export const options = {
  scenarios: {
    requests: { executor: 'constant-vus', vus: Number(__ENV.VUS || 16), duration: __ENV.DURATION || '10s' },
  },
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

const tokens = new SharedArray('tokens', () => JSON.parse(open(__ENV.TOKENS_FILE)));

export default function () {
  const token = tokens[exec.scenario.iterationInTest % tokens.length];
  const response = http.get(__ENV.TARGET_URL, { headers: { authorization: `Bearer ${token}` } });
  check(response, { 'status 200': (r) => r.status === 200 });
}

export function handleSummary(data) {
  return { [__ENV.SUMMARY]: JSON.stringify(data) };
}
