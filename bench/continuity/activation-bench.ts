import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { migrate } from '@app/database/migrate';
import { startStandinUpstream, StandinUpstream } from '../../infra/standin-upstream/standin-upstream';
import { startTwilioStandin, TwilioStandin, twilioDriverEnv } from '../../infra/twilio-standin/twilio-standin';

/**
 * npm run bench:continuity -- --activation [--mailboxes N] [--probe-interval S] [--failures N] [--window S]
 *
 * Time from an upstream's death to the tenant's automatic activation, and
 * from activation until our side has handed the last credentials text to
 * Twilio (a local Twilio-compatible stand-in, through the real SDK), for a
 * tenant of N mailboxes (default 10,000), each with a mobile number. The
 * detection settings default to the product's defaults (a probe every 30 s,
 * down after 4 failures spanning at least 120 s), so the activation time is
 * compared with that threshold. Runs the built worker as a child process in
 * a database, Redis prefix and data directory of its own, removed at the end.
 */

const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const MAILBOXES = arg('--mailboxes', 10_000);
const PROBE_INTERVAL = arg('--probe-interval', 30);
const FAILURES = arg('--failures', 4);
const WINDOW = arg('--window', 120);

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntil(what: string, fn: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function main(): Promise<void> {
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const dbName = `mc_bench_activation_${run}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${dbName}`;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `mcbench-${run}`;
  const dataDir = mkdtempSync(join(tmpdir(), `mc-bench-activation-${run}-`));
  let worker: ChildProcess | null = null;
  let upstream: StandinUpstream | null = null;
  let twilio: TwilioStandin | null = null;
  const db = new Client({ connectionString: databaseUrl });
  try {
    log(`database ${databaseUrl}; ${MAILBOXES} mailboxes; probe every ${PROBE_INTERVAL} s, down after ${FAILURES} failures over ≥ ${WINDOW} s`);
    await migrate(databaseUrl);
    await db.connect();
    upstream = await startStandinUpstream({ host: '127.0.0.1', dir: join(dataDir, 'upstream') });
    twilio = await startTwilioStandin({ host: '127.0.0.1', port: 0, autoDeliver: false });
    const domain = `activation-${run}.bench.example`;
    const t = await db.query(
      `INSERT INTO tenants (name, slug, continuity_policy, probe_interval_seconds, failure_threshold, failure_window_seconds) VALUES ($1, $1, 'automatic', $2, $3, $4) RETURNING id`,
      [`bench-activation-${run}`, PROBE_INTERVAL, FAILURES, WINDOW],
    );
    const tenantId: string = t.rows[0].id;
    await db.query(`INSERT INTO tenant_domains (tenant_id, name, verification_token, verified_at, verified_by) VALUES ($1, $2, 'x', now(), 'operator')`, [tenantId, domain]);
    const g = await db.query(`INSERT INTO upstream_groups (tenant_id, name) VALUES ($1, 'default') RETURNING id`, [tenantId]);
    await db.query(`INSERT INTO upstreams (tenant_id, group_id, host, port, tls_policy, private_address_allowed) VALUES ($1, $2, '127.0.0.1', $3, 'none', true)`, [tenantId, g.rows[0].id, upstream.port]);
    await db.query(
      `INSERT INTO mailboxes (tenant_id, address, display_name, mobile_e164) SELECT $1, 'user' || i || '@' || $2, 'User ' || i, '+4915' || lpad(i::text, 9, '0') FROM generate_series(1, $3) i`,
      [tenantId, domain, MAILBOXES],
    );
    await db.query('ANALYZE');

    const env = {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      DATA_DIR: dataDir,
      WORKER_HTTP_PORT: String(await freePort()),
      MX_HOSTNAME: 'mx.bench.localhost',
      ...twilioDriverEnv(twilio),
      SMS_TENANT_CAP_PER_HOUR: String(Math.max(20_000, MAILBOXES * 2)),
    };
    worker = spawn(process.execPath, [join(process.env.BENCH_BUILD_ROOT ?? join(__dirname, '..', '..'), 'apps/worker/src/main.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const ready = async () => fetch(`http://127.0.0.1:${env.WORKER_HTTP_PORT}/health/ready`).then((r) => r.ok, () => false);
    await waitUntil('the worker to be ready', async () => worker?.exitCode !== null || (await ready()), 60_000);
    if (worker.exitCode !== null) throw new Error('the worker exited at start');
    await waitUntil('a healthy probe', async () => (await db.query(`SELECT last_ok FROM upstream_health WHERE tenant_id = $1`, [tenantId])).rows[0]?.last_ok === true, 120_000, 200);

    log('upstream healthy; stopping it');
    await upstream.stop();
    upstream = null;
    const diedAt = Date.now();
    await waitUntil('automatic activation', async () => (await db.query(`SELECT mode FROM tenants WHERE id = $1`, [tenantId])).rows[0].mode === 'active', (WINDOW + PROBE_INTERVAL * (FAILURES + 2) + 120) * 1000);
    const tr = (await db.query(`SELECT created_at FROM continuity_transitions WHERE tenant_id = $1 AND to_mode = 'active' ORDER BY created_at LIMIT 1`, [tenantId])).rows[0];
    const activatedAt = new Date(tr.created_at).getTime();
    const activationSeconds = (activatedAt - diedAt) / 1000;
    log(`activated ${activationSeconds.toFixed(1)} s after the upstream died; waiting for ${MAILBOXES} texts`);
    await waitUntil(`${MAILBOXES} texts at the Twilio stand-in`, async () => twilio!.messages.filter((m) => m.to.startsWith('+4915')).length >= MAILBOXES, 30 * 60_000, 250);
    const texts = twilio.messages.filter((m) => m.to.startsWith('+4915'));
    const lastText = Math.max(...texts.map((m) => new Date(m.receivedAt).getTime()));
    const firstText = Math.min(...texts.map((m) => new Date(m.receivedAt).getTime()));
    const textsSeconds = (lastText - activatedAt) / 1000;
    const result = {
      date: new Date().toISOString(),
      mailboxes: MAILBOXES,
      detection: { probeIntervalSeconds: PROBE_INTERVAL, failures: FAILURES, windowSeconds: WINDOW },
      deathToActivationSeconds: activationSeconds,
      overThresholdSeconds: activationSeconds - WINDOW,
      activationToFirstTextSeconds: (firstText - activatedAt) / 1000,
      activationToLastTextSeconds: textsSeconds,
      textsPerSecond: texts.length / ((lastText - firstText) / 1000 || 1),
      distinctRecipients: new Set(texts.map((m) => m.to)).size,
    };
    process.stdout.write(
      [
        '',
        `continuity activation bench: tenant of ${MAILBOXES} mailboxes with mobile numbers; probe every ${PROBE_INTERVAL} s, down after ${FAILURES} failures over ≥ ${WINDOW} s`,
        `  upstream death → activation          ${activationSeconds.toFixed(1)} s  (threshold ${WINDOW} s + ${result.overThresholdSeconds.toFixed(1)} s; target ≤ threshold + 30 s: ${result.overThresholdSeconds <= 30 ? 'met' : 'NOT met'})`,
        `  activation → last text to Twilio     ${textsSeconds.toFixed(1)} s  (target < 60 s: ${textsSeconds < 60 ? 'met' : 'NOT met'}); ${result.textsPerSecond.toFixed(0)} texts/s, ${result.distinctRecipients} distinct numbers`,
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
    await upstream?.stop().catch(() => undefined);
    await twilio?.close().catch(() => undefined);
    await db.end().catch(() => undefined);
    const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 3 });
    const keys = await redis.keys(`${prefix}:*`).catch(() => [] as string[]);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    redis.disconnect();
    const admin = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
