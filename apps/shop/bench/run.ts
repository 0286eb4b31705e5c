// Runs the shop's scenarios until the repository runner looks in apps/*/bench:
// npx tsx --conditions=@ballast/source apps/shop/bench/run.ts [--quick]
import { scenario } from './shop-orders.js';

const result = await scenario.run({
  quick: process.argv.includes('--quick'),
  progress: (m) => process.stderr.write(`${scenario.name}: ${m}\n`),
  signal: new AbortController().signal,
});
console.table(result.results);
console.log(JSON.stringify(result, null, 2));
