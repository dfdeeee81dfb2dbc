import { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { cpuSecondsOf, freePort, memoryOf, run, stopChild, track, waitFor, waitForPort } from './processes';
import { DnsStandin } from '../../infra/dns-standin/dns-standin';

export const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUrl(name: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function withPg<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface OursOptions {
  root: string; // repository root (dist/ lives here)
  dir: string; // scratch directory of this instance
  dbName: string;
  domain: string;
  mailbox: string; // local part
  upstreamPort: number;
  maxMessageBytes?: number;
  extraEnv?: NodeJS.ProcessEnv;
}

/**
 * Our mx and worker started from dist/ with a database, a Redis and a data
 * directory of their own, a tenant whose domain is verified, one mailbox, and
 * an upstream (tls_policy none) that points at the bench's sink.
 */
export class OursInstance {
  mx: ChildProcess | null = null;
  worker: ChildProcess | null = null;
  redis: ChildProcess | null = null;
  smtpPort = 0;
  mxHttpPort = 0;
  workerHttpPort = 0;
  readonly dbUrl: string;
  private readonly logs: Record<string, string[]> = { mx: [], worker: [] };

  constructor(readonly o: OursOptions) {
    this.dbUrl = databaseUrl(o.dbName);
  }

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      DATABASE_URL: this.dbUrl,
      REDIS_URL: `redis://127.0.0.1:${this.redisPort}`,
      REDIS_PREFIX: 'mcbench',
      DATA_DIR: join(this.o.dir, 'data'),
      MX_SMTP_HOST: '127.0.0.1',
      MX_SMTP_PORT: String(this.smtpPort),
      MX_HTTP_PORT: String(this.mxHttpPort),
      WORKER_HTTP_PORT: String(this.workerHttpPort),
      MX_HOSTNAME: 'mx.bench.localhost',
      // All load comes from 127.0.0.1.
      MX_MAX_SESSIONS_PER_IP: '5000',
      MX_MAX_SESSIONS: '10000',
      MX_MAX_MESSAGE_BYTES: String(this.o.maxMessageBytes ?? 50 * 1024 * 1024),
      LOG_LEVEL: 'warn',
      DNS_SERVERS: this.dnsServers,
      ...(process.env.BENCH_CPU_PROF_DIR ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}` } : {}),
      SHUTDOWN_GRACE_MS: '5000',
      ...this.o.extraEnv,
    };
  }

  private redisPort = 0;
  /** Stands in for the local caching resolver an MTA host runs (inbound SPF/DKIM/DMARC lookups). */
  private readonly dns = new DnsStandin();
  private dnsServers = '';

  async setUp(): Promise<void> {
    mkdirSync(join(this.o.dir, 'data'), { recursive: true });
    this.dnsServers = await this.dns.start();
    [this.smtpPort, this.mxHttpPort, this.workerHttpPort, this.redisPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    await withPg(PG_ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS "${this.o.dbName}" WITH (FORCE)`));
    const m = await run(process.execPath, [join(this.o.root, 'dist/libs/database/src/migrate.js')], this.env);
    if (m.code !== 0) throw new Error(`migration failed: ${m.stderr || m.stdout}`);
    await withPg(this.dbUrl, async (c) => {
      const t = await c.query(`INSERT INTO tenants (name, slug) VALUES ('Bench', 'bench') RETURNING id`);
      const tid: string = t.rows[0].id;
      await c.query(`INSERT INTO tenant_domains (tenant_id, name, verification_token, verified_at, verified_by) VALUES ($1, $2, 'bench', now(), 'operator')`, [tid, this.o.domain]);
      const g = await c.query(`INSERT INTO upstream_groups (tenant_id, name) VALUES ($1, 'default') RETURNING id`, [tid]);
      await c.query(`INSERT INTO upstreams (tenant_id, group_id, host, port, priority, tls_policy, private_address_allowed) VALUES ($1, $2, '127.0.0.1', $3, 10, 'none', true)`, [tid, g.rows[0].id, this.o.upstreamPort]);
      await c.query(`INSERT INTO mailboxes (tenant_id, address, display_name) VALUES ($1, $2, 'Bench')`, [tid, `${this.o.mailbox}@${this.o.domain}`]);
    });
    this.redis = track('redis-server', ['--port', String(this.redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    await waitForPort(this.redisPort);
  }

  async start(): Promise<void> {
    this.mx = this.spawnApp('mx', 'dist/apps/mx/src/main.js');
    this.worker = this.spawnApp('worker', 'dist/apps/worker/src/main.js');
    for (const [name, port] of [['mx', this.mxHttpPort], ['worker', this.workerHttpPort]] as const) {
      const ready = await waitFor(async () => {
        const child = name === 'mx' ? this.mx : this.worker;
        if (child && child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${this.logs[name].slice(-20).join('\n')}`);
        try {
          const r = await fetch(`http://127.0.0.1:${port}/health/ready`);
          return r.ok;
        } catch {
          return false;
        }
      }, 60000, 100);
      if (!ready) throw new Error(`${name} not ready after 60 s:\n${this.logs[name].slice(-20).join('\n')}`);
    }
    await waitForPort(this.smtpPort);
  }

  private spawnApp(name: 'mx' | 'worker', script: string): ChildProcess {
    const child = track(process.execPath, [join(this.o.root, script)], { cwd: this.o.root, env: this.env });
    const keep = (d: Buffer) => {
      for (const l of d.toString().split('\n')) if (l.trim()) this.logs[name].push(l.slice(0, 2000));
      if (this.logs[name].length > 500) this.logs[name].splice(0, this.logs[name].length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return child;
  }

  logTail(name: 'mx' | 'worker', n = 10): string {
    return this.logs[name].slice(-n).join('\n');
  }

  memory(): { mx: { hwm: number; rss: number } | null; worker: { hwm: number; rss: number } | null } {
    const of = (c: ChildProcess | null) => (c?.pid && c.exitCode === null ? memoryOf(c.pid) : null);
    return { mx: of(this.mx), worker: of(this.worker) };
  }

  /**
   * CPU seconds used so far by the mx, the worker, the Postgres backends
   * serving this instance's database (plus the WAL writer, which does the
   * commits' flushing) and the private Redis.
   */
  async cpu(): Promise<Record<'mx' | 'worker' | 'postgres' | 'redis', number>> {
    const pg = await withPg(this.dbUrl, async (c) => {
      const r = await c.query(`SELECT pid FROM pg_stat_activity WHERE (datname = $1 AND pid <> pg_backend_pid()) OR backend_type IN ('walwriter')`, [this.o.dbName]);
      return r.rows.map((x: { pid: number }) => x.pid);
    });
    return {
      mx: this.mx?.pid ? cpuSecondsOf(this.mx.pid) : 0,
      worker: this.worker?.pid ? cpuSecondsOf(this.worker.pid) : 0,
      postgres: pg.reduce((a: number, pid: number) => a + cpuSecondsOf(pid), 0),
      redis: this.redis?.pid ? cpuSecondsOf(this.redis.pid) : 0,
    };
  }

  /** Counters of this database (commits, rows written) and the server's WAL position, to show what one message costs Postgres. */
  async pgCounters(): Promise<Record<string, number>> {
    return withPg(this.dbUrl, async (c) => {
      const r = await c.query(
        `SELECT xact_commit::float8 AS commits, tup_inserted::float8 AS inserted, tup_updated::float8 AS updated, tup_deleted::float8 AS deleted,
                (pg_current_wal_lsn() - '0/0'::pg_lsn)::float8 AS wal_bytes
           FROM pg_stat_database WHERE datname = $1`,
        [this.o.dbName],
      );
      return r.rows[0] as Record<string, number>;
    });
  }

  /** Pauses one BullMQ queue of this instance (diagnostics: what a job kind costs). */
  async pauseQueue(name: string): Promise<void> {
    const { Queue } = await import('bullmq');
    const IORedis = (await import('ioredis')).default;
    const redis = new IORedis(`redis://127.0.0.1:${this.redisPort}`, { maxRetriesPerRequest: 3 });
    const q = new Queue(name, { connection: redis as never, prefix: 'mcbench' });
    try {
      await q.pause();
    } finally {
      await q.close();
      redis.disconnect();
    }
  }

  /** Deliveries by state and lease, BullMQ list lengths and the apps' last log lines: for a run that did not finish. */
  async describeStuck(): Promise<string> {
    const rows = await withPg(this.dbUrl, async (c) =>
      (await c.query(`SELECT state, lease_owner IS NOT NULL AS leased, attempts, count(*)::int AS n FROM deliveries WHERE state <> 'delivered' GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 10`)).rows,
    );
    const IORedis = (await import('ioredis')).default;
    const redis = new IORedis(`redis://127.0.0.1:${this.redisPort}`, { maxRetriesPerRequest: 3 });
    const lists: Record<string, number> = {};
    try {
      for (const q of ['delivery', 'index']) for (const l of ['wait', 'active']) lists[`${q}:${l}`] = await redis.llen(`mcbench:${q}:${l}`);
    } finally {
      redis.disconnect();
    }
    return [`deliveries not delivered: ${JSON.stringify(rows)}`, `bullmq lists: ${JSON.stringify(lists)}`, `mx log:\n${this.logTail('mx', 15)}`, `worker log:\n${this.logTail('worker', 15)}`].join('\n');
  }

  async deliveryStates(): Promise<Record<string, number>> {
    return withPg(this.dbUrl, async (c) => {
      const r = await c.query(`SELECT state, count(*)::int AS n FROM deliveries GROUP BY state`);
      return Object.fromEntries(r.rows.map((x: { state: string; n: number }) => [x.state, x.n]));
    });
  }

  async stopApps(): Promise<void> {
    await Promise.all([this.mx && stopChild(this.mx), this.worker && stopChild(this.worker)]);
    this.mx = this.worker = null;
  }

  async tearDown(): Promise<void> {
    await this.dns.stop();
    await this.stopApps();
    if (this.redis) await stopChild(this.redis, 'SIGKILL');
    this.redis = null;
    await withPg(PG_ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS "${this.o.dbName}" WITH (FORCE)`)).catch(() => undefined);
    rmSync(this.o.dir, { recursive: true, force: true });
  }
}
