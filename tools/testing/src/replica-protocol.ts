import { createInterface } from 'node:readline';
import type { EchoBehaviour } from './echo-service.js';
import type { ReplicaCommand } from './echo-replica.js';

/**
 * The child side of spawnReplica's protocol: announce the address, then apply one JSON command
 * per stdin line and acknowledge it; when stdin closes (the parent went away), call `onClose`.
 */
export function serveReplicaProtocol(options: {
  address: string;
  onCommand: (command: ReplicaCommand) => void;
  onClose: () => void;
}): void {
  process.stdout.write(JSON.stringify({ listening: options.address }) + '\n');
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let command: ReplicaCommand;
    try {
      command = JSON.parse(line) as ReplicaCommand;
    } catch {
      process.stderr.write(`ignoring malformed command: ${line}\n`);
      return;
    }
    options.onCommand(command);
    process.stdout.write(JSON.stringify({ ack: command.id ?? null }) + '\n');
  });
  lines.on('close', options.onClose);
}

/** Applies the behaviour fields of a command (delay and whom it spares, failure rate, failure code). */
export function applyBehaviour(behaviour: EchoBehaviour, command: ReplicaCommand): void {
  if (command.delayMs !== undefined) behaviour.delayMs = command.delayMs;
  if (command.fastFor !== undefined) behaviour.fastFor = command.fastFor === '' ? undefined : command.fastFor;
  if (command.failRate !== undefined) behaviour.failRate = command.failRate;
  if (command.failCode !== undefined) behaviour.failCode = command.failCode;
}
