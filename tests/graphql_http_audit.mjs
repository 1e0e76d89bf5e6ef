// GraphQL over HTTP conformance: graphql-http's server audit against a running Rapport.
// Usage: node tests/graphql_http_audit.mjs <url> <bearer token>   (see `make audit`)
import { auditServer } from 'graphql-http';

const [url, token] = process.argv.slice(2);
const results = await auditServer({
  url,
  fetchFn: (input, init = {}) =>
    fetch(input, { ...init, headers: { ...(init.headers || {}), authorization: `Bearer ${token}` } }),
});
const counts = {};
for (const result of results) {
  counts[result.status] = (counts[result.status] || 0) + 1;
  if (result.status !== 'ok') console.log(result.status, result.id, result.name);
}
console.log(counts);
process.exit(counts.error ? 1 : 0);
