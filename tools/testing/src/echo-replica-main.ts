// A child-process EchoService replica. Prints one JSON line {"listening": "host:port"} when listening,
// then takes one JSON command per stdin line (see ReplicaCommand). Exits when stdin closes, so
// it never outlives the test that started it.
import { createInterface } from 'node:readline';
import { startEchoServer } from './echo-server.js';
import type { ReplicaCommand } from './echo-replica.js';

const replica = process.argv[2] ?? `replica-${process.pid}`;
const port = Number(process.argv[3] ?? 0);
const echo = await startEchoServer({ replica, port });
process.stdout.write(JSON.stringify({ listening: echo.address }) + '\n');

let draining = false;
async function drain(): Promise<void> {
  if (draining) return;
  draining = true;
  echo.health.setStatus('unhealthy');
  await echo.close();
  process.exit(0);
}
process.on('SIGTERM', () => void drain());

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let command: ReplicaCommand;
  try {
    command = JSON.parse(line) as ReplicaCommand;
  } catch {
    process.stderr.write(`ignoring malformed command: ${line}\n`);
    return;
  }
  if (command.delayMs !== undefined) echo.behaviour.delayMs = command.delayMs;
  if (command.failRate !== undefined) echo.behaviour.failRate = command.failRate;
  if (command.failCode !== undefined) echo.behaviour.failCode = command.failCode;
  if (command.health !== undefined) echo.health.setStatus(command.health, command.service);
  process.stdout.write(JSON.stringify({ ack: command.id ?? null }) + '\n');
});
lines.on('close', () => process.exit(0));
