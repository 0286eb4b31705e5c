import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./fixtures/candidate.ts', import.meta.url));

/** A leader-election candidate in a child process (fixtures/candidate.ts) that a test can SIGKILL. */
export class CandidateProcess {
  readonly lines: string[] = [];
  private constructor(
    readonly id: string,
    private readonly child: ChildProcess,
  ) {
    child
      .stdout!.setEncoding('utf8')
      .on('data', (chunk: string) => this.lines.push(...chunk.split('\n').filter(Boolean)));
    child.stderr!.resume();
  }

  static async start(
    id: string,
    endpoints: readonly string[],
    root: string,
    ttlSeconds: number,
  ): Promise<CandidateProcess> {
    const child = spawn(
      process.execPath,
      ['--conditions=@ballast/source', '--import', 'tsx', script, endpoints.join(','), root, id, String(ttlSeconds)],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BALLAST_LOG_LEVEL: 'error' } },
    );
    const candidate = new CandidateProcess(id, child);
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (candidate.lines.includes('ready')) resolve();
      };
      child.stdout!.on('data', () => setImmediate(check));
      child.once('exit', (code) => reject(new Error(`candidate ${id} exited with ${code} before it was ready`)));
    });
    return candidate;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: no resign, no revoke — the lease must run out on the server. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }
}
