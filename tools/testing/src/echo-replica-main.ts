// A child-process EchoService replica. Prints one JSON line {"listening": "host:port"} when listening,
// then takes one JSON command per stdin line (see ReplicaCommand). Exits when stdin closes, so
// it never outlives the test that started it.
import { startEchoServer } from './echo-server.js';
import { applyBehaviour, serveReplicaProtocol } from './replica-protocol.js';

const replica = process.argv[2] ?? `replica-${process.pid}`;
const port = Number(process.argv[3] ?? 0);
const echo = await startEchoServer({ replica, port });

let draining = false;
async function drain(): Promise<void> {
  if (draining) return;
  draining = true;
  echo.health.setStatus('unhealthy');
  await echo.close();
  process.exit(0);
}
process.on('SIGTERM', () => void drain());

serveReplicaProtocol({
  address: echo.address,
  onCommand(command) {
    applyBehaviour(echo.behaviour, command);
    if (command.health !== undefined) echo.health.setStatus(command.health, command.service);
  },
  onClose: () => process.exit(0),
});
