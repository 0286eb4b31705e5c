import type { EchoReplica } from '@ballast/testing';

/**
 * Sends `command` to a child started by spawnReplica and resolves with the `key` field of the
 * first JSON line it prints that has one (before or after the command's ack: an answer may take
 * a while, like a load run). Rejects when the child exits first or after `timeoutMs`.
 */
export async function childAnswer<T>(
  child: EchoReplica,
  command: Record<string, unknown>,
  key: string,
  timeoutMs = 10_000,
): Promise<T> {
  const stdout = child.child.stdout!;
  let buffered = '';
  let onAnswer: (value: T) => void = () => {};
  const answered = new Promise<T>((resolve) => (onAnswer = resolve));
  // A plain 'data' listener beside spawnReplica's reader: closing a second readline would pause the stream.
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        const message = JSON.parse(line) as Record<string, unknown>;
        if (key in message) onAnswer(message[key] as T);
      } catch {}
    }
  };
  stdout.on('data', onData);
  let timer: NodeJS.Timeout | undefined;
  try {
    void child.send(command as Parameters<EchoReplica['send']>[0]);
    return await Promise.race([
      answered,
      child.exited.then((code) => Promise.reject(new Error(`${child.replica} exited (${code}) before answering`))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${child.replica}: no "${key}" within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    stdout.off('data', onData);
  }
}
