// npm run deploy:local [-- --down]: the shop's Kubernetes manifests under podman kube play, on loopback.
import { deployLocal, downLocal } from './deploy-local.js';
import { DeployLocalError } from './podman.js';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--down');
if (unknown.length > 0) {
  console.error(`deploy:local: unknown argument ${unknown[0]}; usage: npm run deploy:local [-- --down]`);
  process.exit(2);
}
const log = (line: string) => process.stderr.write(line.endsWith('\n') ? line : `${line}\n`);
try {
  if (args.includes('--down')) {
    const removed = await downLocal({ log });
    console.log(
      removed ? 'deploy:local: removed every pod, container and volume it started' : 'deploy:local: nothing to remove',
    );
  } else {
    const deployment = await deployLocal({ log });
    console.log(`gateway: ${deployment.gatewayUrl}#token=${deployment.token}`);
    console.log(`pods: ${deployment.pods.map((p) => p.name).join(', ')}`);
    console.log('stop with: npm run deploy:local -- --down');
  }
} catch (error) {
  if (!(error instanceof DeployLocalError)) throw error;
  console.error(`deploy:local: ${error.message}`);
  process.exit(1);
}
