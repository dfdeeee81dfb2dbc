import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { blobKey, FsBlobStore } from '@app/blob-store';
import { migrate } from '@app/database/migrate';
import { deliveryJobId, QueueName } from '@app/queues';
import { CountingSink, startCountingSink } from './counting-sink';

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * npm run bench:continuity [-- --messages N]
 *
 * Replay rate of held messages against plain delivery rate, in the same run,
 * against the same fast SMTP sink, with the built worker as a child process:
 *   plain   N queued messages, one delivery job each (what the MX does);
 *   replay  N held messages of a tenant put into 'recovering'; the worker's
 *           replay releases them in arrival order and enqueues their jobs.
 * The replay's per-upstream pace is set far above what one worker delivers
 * (REPLAY_RATE_PER_UPSTREAM), so the figure is what the replay machinery
 * costs, not the pace an operator chooses for a recovering Exchange.
 * Everything runs in a database, Redis prefix and data directory of its own,
 * removed at the end.
 */

const ROOT = join(__dirname, '..', '..');
const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const N = arg('--messages', 50_000);
const RECIPIENTS_PER_MESSAGE = 1;

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

async function waitUntil(what: string, fn: () => Promise<boolean>, timeoutMs: number, onTick?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    if (onTick) await onTick();
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Phase { name: string; messages: number; seconds: number; perSecond: number }

async function main(): Promise<void> {
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/mc_bench_continuity_${run}`;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `mcbench-${run}`;
  const dataDir = mkdtempSync(join(tmpdir(), `mc-bench-continuity-${run}-`));
  let worker: ChildProcess | null = null;
  let sink: CountingSink | null = null;
  const db = new Client({ connectionString: databaseUrl });
  const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 3 });
  try {
    log(`database ${databaseUrl}, ${N} messages per phase`);
    await migrate(databaseUrl);
    await db.connect();
    sink = await startCountingSink();

    // One blob serves every message: the bench measures delivery, not the blob store.
    const tenantIds: Record<'plain' | 'replay', string> = { plain: '', replay: '' };
    for (const name of ['plain', 'replay'] as const) {
      // The replay tenant is in continuity mode from the start: held mail of a tenant in normal mode would be released at once.
      const t = await db.query(`INSERT INTO tenants (name, slug, continuity_policy, mode) VALUES ($1, $1, 'manual', $2) RETURNING id`, [`bench-${name}-${run}`, name === 'replay' ? 'active' : 'normal']);
      const id: string = t.rows[0].id;
      if (name === 'replay') await db.query(`INSERT INTO continuity_events (tenant_id, started_at) VALUES ($1, now())`, [id]);
      tenantIds[name] = id;
      await db.query(`INSERT INTO tenant_domains (tenant_id, name, verification_token, verified_at, verified_by) VALUES ($1, $2, 'x', now(), 'operator')`, [id, `${name}-${run}.bench.example`]);
      const g = await db.query(`INSERT INTO upstream_groups (tenant_id, name) VALUES ($1, 'default') RETURNING id`, [id]);
      await db.query(`INSERT INTO upstreams (tenant_id, group_id, host, port, tls_policy, private_address_allowed) VALUES ($1, $2, '127.0.0.1', $3, 'none', true)`, [id, g.rows[0].id, sink.port]);
      await db.query(`INSERT INTO mailboxes (tenant_id, address) SELECT $1, 'user' || i || '@' || $2 FROM generate_series(1, 100) i`, [id, `${name}-${run}.bench.example`]);
      const queueId = `BENCH${name.toUpperCase()}${run.toUpperCase()}`;
      const key = blobKey(id, queueId);
      const w = new FsBlobStore(join(dataDir, 'blobs')).createWriter(key);
      w.write(Buffer.from(`From: sender@outside.example\r\nTo: user1@${name}-${run}.bench.example\r\nSubject: bench\r\nMessage-ID: <bench@outside.example>\r\n\r\n${'x'.repeat(72)}\r\n`.repeat(1) + 'y'.repeat(1500) + '\r\n'));
      const { size } = await w.commit();
      const state = name === 'replay' ? 'held' : 'queued';
      // Plain rows are due only when their phase starts, so the worker's sweeper does not start them early.
      await db.query(
        `WITH m AS (
           INSERT INTO messages (tenant_id, queue_id, direction, blob_key, size_bytes, mail_from, rcpt_to, received_at, index_state, auth_results, auth_summary)
           SELECT $1, $2 || i, 'inbound', $3, $4, 'sender@outside.example', ARRAY['user' || (1 + i % 100) || '@' || $5], now() - make_interval(secs => ($6 - i)::float8 / 1000), 'indexed',
                  $8, $9::jsonb
             FROM generate_series(1, $6) i RETURNING id, tenant_id, rcpt_to)
         INSERT INTO deliveries (tenant_id, message_id, recipient, route_kind, state, next_attempt_at, expires_at, held_at, held_remaining_seconds)
         SELECT tenant_id, id, rcpt_to[1], 'upstream', $7, now() + interval '1 day', now() + interval '5 days', CASE WHEN $7 = 'held' THEN now() END, CASE WHEN $7 = 'held' THEN 432000 END FROM m`,
        // Verified at acceptance, as the MX does: delivery then only prepends the stored header.
        [id, `${queueId}N`, key, size, `${name}-${run}.bench.example`, N, state, 'Authentication-Results: mx.bench.localhost; spf=none smtp.mailfrom=outside.example; dkim=none; dmarc=none\r\n', JSON.stringify({ spf: 'none', dkim: 'none', dmarc: 'none', arc: 'none', action: 'none' })],
      );
    }
    await db.query('ANALYZE');
    log('data ready; starting the worker');

    const httpPort = await freePort();
    const env = {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      DATA_DIR: dataDir,
      WORKER_HTTP_PORT: String(httpPort),
      MX_HOSTNAME: 'mx.bench.localhost',
      REPLAY_RATE_PER_UPSTREAM: '100000',
      REPLAY_TICK_MS: '100',
      REPLAY_BATCH_SIZE: '2000',
      PROBE_TICK_MS: '60000',
      CREDENTIAL_HMAC_SECRET: process.env.CREDENTIAL_HMAC_SECRET ?? 'bench-only-secret-bench-only-secret-0123456789',
      DKIM_KEY_ENCRYPTION_KEY: process.env.DKIM_KEY_ENCRYPTION_KEY ?? '0'.repeat(64),
    };
    const buildRoot = process.env.BENCH_BUILD_ROOT ?? join(ROOT, 'dist');
    worker = spawn(process.execPath, [join(buildRoot, 'apps/worker/src/main.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    worker.stdout?.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
    worker.stderr?.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
    // Logs stay at warn (a line per delivery would cost CPU in both phases): readiness comes from /health/ready.
    const ready = async () => fetch(`http://127.0.0.1:${httpPort}/health/ready`).then((r) => r.ok, () => false);
    await waitUntil('the worker to be ready', async () => worker?.exitCode !== null || (await ready()), 60_000);
    if (worker.exitCode !== null) throw new Error(`worker exited:\n${lines.slice(-20).join('\n')}`);

    const phases: Phase[] = [];
    const delivered = async (tenantId: string) => Number((await db.query(`SELECT count(*) AS n FROM deliveries WHERE tenant_id = $1 AND state = 'delivered'`, [tenantId])).rows[0].n);
    const progress = (name: string, tenantId: string) => {
      let last = 0;
      return async () => {
        if (Date.now() - last < 10_000) return;
        last = Date.now();
        log(`${name}: ${sink!.recipients()} at the sink, ${await delivered(tenantId)} rows delivered`);
      };
    };

    // Plain delivery: what the MX does after commit, one job per message.
    sink.reset();
    const ids: { id: string }[] = (await db.query(`SELECT id FROM messages WHERE tenant_id = $1 ORDER BY received_at`, [tenantIds.plain])).rows;
    const queue = new Queue(QueueName.Delivery, { connection: redis as never, prefix });
    let t0 = Date.now();
    await db.query(`UPDATE deliveries SET next_attempt_at = now() WHERE tenant_id = $1`, [tenantIds.plain]);
    for (let i = 0; i < ids.length; i += 1000) {
      await queue.addBulk(ids.slice(i, i + 1000).map((m) => ({ name: 'deliver-message', data: { messageId: m.id, tenantId: tenantIds.plain }, opts: { jobId: deliveryJobId(m.id, t0), removeOnComplete: true } })));
    }
    await waitUntil('plain delivery', async () => sink!.recipients() >= N * RECIPIENTS_PER_MESSAGE && (await delivered(tenantIds.plain)) >= N, 30 * 60_000, progress('plain', tenantIds.plain));
    let seconds = (Math.max(...sink.arrivals()) - t0) / 1000;
    phases.push({ name: 'plain delivery', messages: N, seconds, perSecond: N / seconds });
    log(`plain: ${N} in ${seconds.toFixed(1)} s`);
    await queue.close();

    // Replay: the tenant goes from active to recovering; the worker's replay does the rest.
    sink.reset();
    t0 = Date.now();
    await db.query(`UPDATE tenants SET mode = 'recovering' WHERE id = $1`, [tenantIds.replay]);
    await waitUntil('replay', async () => sink!.recipients() >= N * RECIPIENTS_PER_MESSAGE && (await delivered(tenantIds.replay)) >= N, 30 * 60_000, progress('replay', tenantIds.replay));
    seconds = (Math.max(...sink.arrivals()) - t0) / 1000;
    phases.push({ name: 'replay of held mail', messages: N, seconds, perSecond: N / seconds });
    log(`replay: ${N} in ${seconds.toFixed(1)} s`);
    await waitUntil('the tenant back to normal', async () => (await db.query(`SELECT mode FROM tenants WHERE id = $1`, [tenantIds.replay])).rows[0].mode === 'normal', 60_000);

    const ratio = phases[1].perSecond / phases[0].perSecond;
    const result = { date: new Date().toISOString(), messages: N, phases, replayToPlainRatio: ratio, target: 0.8, met: ratio >= 0.8 };
    process.stdout.write(
      [
        '',
        `continuity bench: ${N} messages per phase, 1 recipient each, ~1.7 KB, one worker (WORKER_CONCURRENCY default), fast Node SMTP sink on loopback`,
        ...phases.map((p) => `  ${p.name.padEnd(22)} ${p.seconds.toFixed(1).padStart(7)} s  ${p.perSecond.toFixed(0).padStart(6)} msg/s`),
        `  replay / plain          ${ratio.toFixed(2)}  (target ≥ 0.80: ${result.met ? 'met' : 'NOT met'})`,
        '',
        JSON.stringify(result),
        '',
      ].join('\n'),
    );
  } finally {
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM');
      await new Promise((r) => worker!.once('exit', r));
    }
    await sink?.stop();
    await db.end().catch(() => undefined);
    const keys = await redis.keys(`${prefix}:*`).catch(() => [] as string[]);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    redis.disconnect();
    const admin = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "mc_bench_continuity_${run}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
