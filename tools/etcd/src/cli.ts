import { parseArgs } from 'node:util';
import { startEtcdCluster } from './etcd-cluster.js';

const usage = `Usage: ballast-etcd start [--members N]

Starts a local etcd cluster on loopback ports with data in a temp dir, prints its endpoints
(also as ETCD_ENDPOINTS=...), and stops it, removing the data, on Ctrl-C or SIGTERM.`;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { members: { type: 'string', default: '3' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const members = Number(values.members);
  if (
    positionals[0] !== 'start' ||
    positionals.length !== 1 ||
    !Number.isInteger(members) ||
    members < 1 ||
    members > 9
  ) {
    console.error(`Expected "start" and --members between 1 and 9.\n\n${usage}`);
    return 2;
  }
  const cluster = await startEtcdCluster({ members });
  const leader = await cluster.leader();
  console.log(`etcd cluster of ${members} up; leader ${leader.name}`);
  for (const member of cluster.members) console.log(`  ${member.name}  ${member.clientUrl}  pid ${member.pid}`);
  console.log(`ETCD_ENDPOINTS=${cluster.endpoints.join(',')}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await cluster.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
