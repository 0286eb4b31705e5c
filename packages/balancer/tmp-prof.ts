import { seededRandom } from '@ballast/core';
import { createPolicy, pickRequest } from './src/index.js';
for (const n of [100, 10000]) {
  const list = Array.from({ length: n }, (_, i) => ({ id: `ep-${i}`, address: `h:${i + 1}` }));
  const picker = createPolicy({ policy: 'peak-ewma', random: seededRandom(1) }).picker(list);
  const req = pickRequest();
  const result = { code: 0, latencyMs: 2 };
  for (let r = 0; r < 3; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < 1e6; i++) picker.pick(req).done(result);
    console.log(n, Number(process.hrtime.bigint() - t) / 1e6, 'ns');
  }
}
