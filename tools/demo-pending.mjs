#!/usr/bin/env node
// Placeholder until the shop demo (apps/shop) lands: says so instead of pretending.
console.log(
  'The Ballast shop demo is not in this version yet. Meanwhile: "npm run setup && npm test" runs the suite, ' +
    'and "npx ballast-etcd start" starts a local etcd cluster.',
);
