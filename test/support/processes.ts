import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

const ROOT = join(__dirname, '..', '..');

/**
 * A port that is free now, for a process the test starts (and may restart)
 * later. Chosen below the kernel's ephemeral range: a port from that range can
 * be taken by any outgoing connection (to Postgres, Redis, a stand-in) between
 * this check and the bind, or between a kill and the restart on the same port.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const floor = 10_000;
  if (low - floor >= 2_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = floor + Math.floor(Math.random() * (low - floor));
      if (await canListen(port)) return port;
    }
  }
  return listenOnce(0);
}

function ephemeralRange(): [number, number] {
  try {
    const [a, b] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (a > 0 && b >= a) return [a, b];
  } catch {
    // not Linux: fall back to what the kernel hands out
  }
  return [0, 0];
}

async function canListen(port: number): Promise<boolean> {
  // Both the loopback address and all addresses: apps bind either.
  for (const host of ['127.0.0.1', '::']) {
    try {
      await listenOnce(port, host);
    } catch {
      return false;
    }
  }
  return true;
}

function listenOnce(port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(port, host, () => {
      const bound = (srv.address() as { port: number }).port;
      srv.close(() => resolve(bound));
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
