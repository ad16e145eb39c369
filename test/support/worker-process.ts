// The real worker entry point (runtime/worker.ts) as a child process, so a test can kill it outright.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../../runtime/worker.ts', import.meta.url));

export class WorkerProcess {
  private child: ChildProcess | null = null;
  private readonly env: Record<string, string>;
  output = '';

  constructor(env: Record<string, string>) {
    this.env = env;
  }

  /** Starts the worker and resolves once it polls its task queue. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [entry], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const running = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes('"msg":"worker running"')) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was running:\n${this.output}`)));
    });
    await running;
  }

  /** Whether the process is up (it may have been started and exited on its own since). */
  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: the process dies mid-whatever, as on a crashed machine. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
    this.child = null;
  }
}
