#!/usr/bin/env node
// ballast-health: grpc_health_probe's command line on grpc-js, for exec probes in images that carry
// Node but no Go binary, and for runtimes without gRPC probes (podman kube play).
import { HEALTH_PROBE_USAGE, HealthProbeUsageError, parseHealthProbeArgs } from './health-probe-args.js';
import { HealthProbeExit, probeHealth } from './health-probe.js';

const argv = process.argv.slice(2);
if (argv.includes('-h') || argv.includes('-help') || argv.includes('--help')) {
  console.log(HEALTH_PROBE_USAGE);
  process.exit(0);
}
try {
  const args = parseHealthProbeArgs(argv);
  const result = await probeHealth(args, args.verbose ? (line) => console.error(`> ${line}`) : undefined);
  if (result.exitCode === HealthProbeExit.serving) console.log(result.message);
  else console.error(result.message);
  process.exit(result.exitCode);
} catch (error) {
  if (!(error instanceof HealthProbeUsageError)) throw error;
  console.error(`error: ${error.message}\n${HEALTH_PROBE_USAGE}`);
  process.exit(HealthProbeExit.usage);
}
