import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import nodemailer from 'nodemailer';
import { createTestTenant, waitFor, withDb } from '../../support/factories';
import { AppProcess, freePort, startPrivateRedis } from '../../support/processes';
import { startStandinUpstream } from '../../../infra/standin-upstream/standin-upstream';

/**
 * The promise of the product: a message that got a 250 is delivered, whatever
 * dies in between. Under a stream of messages the mx and the worker are each
 * SIGKILLed and Redis loses everything (FLUSHALL on a Redis of this test's own);
 * afterwards every acknowledged Message-ID must be at the upstream.
 */
jest.setTimeout(240_000);

const TOTAL = 300;
const SENDERS = 6;

describe('crash safety', () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let upstream: Awaited<ReturnType<typeof startStandinUpstream>>;
  let mx: AppProcess;
  let worker: AppProcess;
  const env: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    redis = await startPrivateRedis();
    upstream = await startStandinUpstream({ port: 0, host: '127.0.0.1', dir: mkdtempSync(join(tmpdir(), 'mc-crash-upstream-')) });
    const smtpPort = await freePort();
    Object.assign(env, {
      REDIS_URL: redis.url,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'mc-crash-data-')),
      MX_SMTP_HOST: '127.0.0.1',
      MX_SMTP_PORT: String(smtpPort),
      MX_HTTP_PORT: String(await freePort()),
      WORKER_HTTP_PORT: String(await freePort()),
      MX_MAX_SESSIONS_PER_IP: '200',
      SWEEP_INTERVAL_MS: '300',
      DELIVERY_LEASE_SECONDS: '10',
      RETRY_BASE_SECONDS: '1',
      RETRY_MAX_SECONDS: '2',
      SHUTDOWN_GRACE_MS: '2000',
    });
  });

  afterAll(async () => {
    await mx?.stop('SIGKILL');
    await worker?.stop('SIGKILL');
    await upstream?.stop();
    await redis?.stop();
  });

  it('delivers every message that got a 250 through SIGKILL of mx and worker and a Redis FLUSHALL', async () => {
    const tenant = await createTestTenant({ mailboxes: ['ann', 'ben', 'cat'], upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
    const startMx = async () => {
      mx = new AppProcess('dist/apps/mx/src/main.js', env, 'mx').start();
      await mx.waitForLog(/"msg":"listening"/);
    };
    const startWorker = async () => {
      worker = new AppProcess('dist/apps/worker/src/main.js', env, 'worker').start();
      await worker.waitForLog(/"msg":"listening"/);
    };
    await startMx();
    await startWorker();

    const acknowledged = new Set<string>();
    let attempted = 0;
    let refused = 0;
    const recipients = Object.values(tenant.mailboxes).map((m) => m.address);

    /** Like a real MTA: a message without a 250 stays with the sender and is tried again. */
    const sendOne = async (n: number) => {
      const messageId = `<crash-${n}-${Date.now()}@sender.example>`;
      for (let attempt = 0; attempt < 100; attempt++) {
        const transport = nodemailer.createTransport({ host: '127.0.0.1', port: Number(env.MX_SMTP_PORT), secure: false, ignoreTLS: true, connectionTimeout: 3000, greetingTimeout: 3000, socketTimeout: 10000 });
        try {
          const info = await transport.sendMail({
            envelope: { from: 'sender@sender.example', to: recipients.slice(0, 1 + (n % 3)) },
            raw: `From: sender@sender.example\r\nTo: ${recipients[0]}\r\nSubject: crash ${n}\r\nMessage-ID: ${messageId}\r\n\r\nbody ${n}\r\n`,
          });
          if (/^250 /.test(info.response)) {
            acknowledged.add(messageId);
            return;
          }
        } catch {
          refused++; // no 250: the message is still the sender's; a copy may or may not have been stored
        } finally {
          transport.close();
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    let next = 0;
    const deliveredCount = async () =>
      (await withDb((db) => db.query(`SELECT count(*)::int AS n FROM deliveries WHERE tenant_id = $1 AND state = 'delivered'`, [tenant.id]))).rows[0].n as number;
    const disasters: Array<{ at: number; run: () => Promise<void>; label: string }> = [
      { at: 70, label: 'SIGKILL mx', run: async () => { await mx.stop('SIGKILL'); await startMx(); } },
      // The worker stays dead while mail keeps arriving, so jobs pile up in Redis...
      { at: 120, label: 'SIGKILL worker', run: async () => { await worker.stop('SIGKILL'); } },
      {
        // ...and are then lost: only Postgres knows about them now.
        at: 200, label: 'FLUSHALL redis, then a worker killed while it catches up', run: async () => {
          const c = new IORedis(redis.url);
          await c.flushall();
          c.disconnect();
          const before = await deliveredCount();
          await startWorker();
          await waitFor(async () => (await deliveredCount()) > before, { timeoutMs: 30000, intervalMs: 5, what: 'the restarted worker to deliver' });
          await worker.stop('SIGKILL');
          await startWorker();
        },
      },
    ];
    const sender = async () => {
      while (next < TOTAL) {
        const n = next++;
        attempted++;
        const d = disasters.find((x) => x.at === n);
        if (d) await d.run();
        await sendOne(n);
      }
    };
    const t0 = Date.now();
    await Promise.all(Array.from({ length: SENDERS }, sender));
    console.log(`sent in ${Date.now() - t0} ms`);
    expect(attempted).toBe(TOTAL);
    expect(acknowledged.size).toBe(TOTAL);

    await waitFor(
      async () => {
        const received = await upstream.received();
        const ids = new Set(received.map((m) => headerValue(m.raw, 'message-id')));
        const undelivered = await withDb((db) => db.query(`SELECT count(*)::int AS n FROM deliveries WHERE tenant_id = $1 AND state <> 'delivered'`, [tenant.id]));
        return undelivered.rows[0].n === 0 && [...acknowledged].every((id) => ids.has(id));
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'every acknowledged message at the upstream and every delivery row final' },
    );

    const received = await upstream.received();
    const counts = new Map<string, number>();
    for (const m of received) {
      const id = headerValue(m.raw, 'message-id');
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const missing = [...acknowledged].filter((id) => !counts.has(id));
    const duplicates = [...counts.values()].filter((c) => c > 1).reduce((s, c) => s + c - 1, 0);
    const pending = await withDb((db) => db.query(`SELECT count(*)::int AS n FROM deliveries WHERE tenant_id = $1 AND state <> 'delivered'`, [tenant.id]));
    // The figures a reader of the CI log wants to see.
    console.log(JSON.stringify({ attempted, acknowledged: acknowledged.size, refused, atUpstream: counts.size, missing: missing.length, duplicates, undelivered: pending.rows[0].n }));
    expect(missing).toEqual([]);
    expect(pending.rows[0].n).toBe(0);
    // Only a cut after the final dot may duplicate; one kill of the worker can do that at most for the transactions in flight.
    expect(duplicates).toBeLessThanOrEqual(Number(process.env.WORKER_CONCURRENCY ?? 32));
  });
});

function headerValue(raw: Buffer | string, name: string): string {
  const text = (typeof raw === 'string' ? raw : raw.toString('latin1')).split(/\r?\n\r?\n/)[0];
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(text);
  return m ? m[1].trim() : '';
}
