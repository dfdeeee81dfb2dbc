import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A process of ours started from the build (dist/) for end-to-end tests, with
 * its JSON log lines kept so a test can wait for one (e.g. "listening").
 */
export class AppProcess {
  readonly lines: string[] = [];
  private proc: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(readonly script: string, readonly env: NodeJS.ProcessEnv, readonly name = script) {}

  start(): this {
    const proc = spawn(process.execPath, [join(ROOT, this.script)], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    const collect = (buf: Buffer) => {
      for (const l of buf.toString('utf8').split('\n')) if (l.trim()) this.lines.push(l);
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
    return this;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resolves with the first log line matching, or rejects when the process exits or the time is up. */
  async waitForLog(match: RegExp, timeoutMs = 20000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      for (; seen < this.lines.length; seen++) if (match.test(this.lines[seen])) return this.lines[seen];
      if (!this.running) throw new Error(`${this.name} exited before logging ${match}:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not log ${match} in ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  tail(n = 30): string {
    return this.lines.slice(-n).join('\n');
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.proc?.kill(signal);
    const timer = setTimeout(() => this.proc?.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A Redis server of the test's own, so it can be flushed or killed without touching anyone else's. */
export async function startPrivateRedis(): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const IORedis = (await import('ioredis')).default;
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10000;
  for (;;) {
    const c = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      break;
    } catch {
      c.disconnect();
      if (Date.now() > deadline) throw new Error('private redis-server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  return {
    url,
    port,
    stop: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
