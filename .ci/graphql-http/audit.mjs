// Runs the GraphQL-over-HTTP server audits of `graphql-http` against a running server and
// fails on any warning or error (notices are optional behaviour and only printed).
// Usage: node audit.mjs http://127.0.0.1:8080/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql url>');
  process.exit(2);
}
const results = await auditServer({ url });
let bad = 0;
const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const r of results) {
  counts[r.status] += 1;
  if (r.status === 'ok') continue;
  if (r.status !== 'notice') bad += 1;
  console.log(`${r.status.toUpperCase()} ${r.id} ${r.name}: ${r.reason}`);
  if (r.status !== 'notice' && r.response) {
    const body = await r.response.text().catch(() => '');
    console.log(`    -> ${r.response.status} ${r.response.headers.get('content-type')} ${body.slice(0, 300)}`);
  }
}
console.log(`graphql-http audit: ${counts.ok} ok, ${counts.notice} notices, ${counts.warn} warnings, ${counts.error} errors`);
process.exit(bad === 0 ? 0 : 1);
