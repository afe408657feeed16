// k6 script: GET a protected URL with one bearer token as fast as the server answers.
// Env: TARGET_URL, TOKEN (optional; absent for the bare HTTP server baseline), VUS, DURATION, SUMMARY.

import { check } from 'k6';
import http from 'k6/http';

export const options = {
  scenarios: {
    requests: { executor: 'constant-vus', vus: Number(__ENV.VUS || 16), duration: __ENV.DURATION || '10s' },
  },
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

const params = __ENV.TOKEN ? { headers: { authorization: `Bearer ${__ENV.TOKEN}` } } : {};

export default function () {
  const response = http.get(__ENV.TARGET_URL, params);
  check(response, { 'status 200': (r) => r.status === 200 });
}

export function handleSummary(data) {
  return { [__ENV.SUMMARY]: JSON.stringify(data) };
}
