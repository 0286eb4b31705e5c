// `npm run demo` — see DEMO_USAGE in demo.ts.
import { startTelemetry } from './telemetry.js';

// Before anything loads @ballast/rpc: the dashboard shows the slowest recent order's trace, and
// OTEL_EXPORTER_OTLP_ENDPOINT sends every span to a collector as well.
const telemetry = startTelemetry('shop', process.env, { dashboard: true });
const { runDemo } = await import('./demo.js');

// The dashboard shows every transition; the terminal keeps to errors unless asked.
process.env.BALLAST_LOG_LEVEL ??= 'error';

let interrupts = 0;
const stopRequested = new Promise<void>((resolve) => {
  const onSignal = () => {
    // A second Ctrl-C while stopping: give up on a graceful stop.
    if (++interrupts > 1) process.exit(130);
    resolve();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
});

const code = await runDemo(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  env: process.env,
  stopRequested,
});
await telemetry.shutdown();
process.exit(code);
