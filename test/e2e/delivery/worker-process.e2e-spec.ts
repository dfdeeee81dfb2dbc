import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestTenant, insertTestMessage, waitFor, withDb } from '../../support/factories';
import { AppProcess, freePort } from '../../support/processes';
import { readStored } from '../../support/standin';
import { enqueueDelivery, testConfig } from '../../integration/delivery/delivery-harness';

/**
 * The built worker and the stand-in upstream's CLI as real processes: the
 * worker says where it listens, is ready, delivers, and stops cleanly on
 * SIGTERM; the stand-in can be stopped and started again on its directory.
 */
describe('worker process (built)', () => {
  const prefix = `${process.env.REDIS_PREFIX}:e2e-worker`;
  let worker: AppProcess;
  let standin: AppProcess;
  let upstreamPort: number;
  const upstreamDir = mkdtempSync(join(tmpdir(), 'mc-e2e-upstream-'));

  beforeAll(async () => {
    upstreamPort = await freePort();
    standin = new AppProcess('test/e2e/delivery/standin-launcher.js', { STANDIN_ARGS: JSON.stringify(['--port', String(upstreamPort), '--dir', upstreamDir]) }, 'standin').start();
    await standin.waitForLog(/"msg":"listening"/);
    worker = new AppProcess('dist/apps/worker/src/main.js', {
      REDIS_PREFIX: prefix,
      WORKER_HTTP_PORT: '0',
      RETRY_BASE_SECONDS: '1',
      RETRY_MAX_SECONDS: '2',
      SWEEP_INTERVAL_MS: '300',
    }, 'worker').start();
  });

  afterAll(async () => {
    await worker?.stop();
    await standin?.stop();
  });

  it('logs the port it listens on and reports ready', async () => {
    const line = JSON.parse(await worker.waitForLog(/"msg":"listening"/));
    expect(line.httpPort).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${line.httpPort}/health/ready`);
    expect(res.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${line.httpPort}/metrics`)).text();
    expect(metrics).toContain('mc_queue_depth');
  });

  it('delivers to the stand-in, keeps delivering after the stand-in restarts, and logs with the queue id', async () => {
    const t = await createTestTenant({ mailboxes: ['ann'], upstreams: [{ host: '127.0.0.1', port: upstreamPort }] });
    const rcpt = t.mailboxes.ann.address;
    const cfg = testConfig({ REDIS_PREFIX: prefix });
    const first = await insertTestMessage(t, { raw: `Subject: one\r\nMessage-ID: <one-${t.slug}@x>\r\n\r\nx\r\n`, recipients: [rcpt] });
    await enqueueDelivery(cfg, first.messageId, t.id);
    await waitFor(async () => (await readStored(upstreamDir)).some((m) => m.raw.includes(`<one-${t.slug}@x>`)), { what: 'first message at the stand-in' });
    await worker.waitForLog(new RegExp(`"queueId":"${first.queueId}".*delivery delivered`));

    await standin.stop('SIGTERM');
    const second = await insertTestMessage(t, { raw: `Subject: two\r\nMessage-ID: <two-${t.slug}@x>\r\n\r\nx\r\n`, recipients: [rcpt] });
    await enqueueDelivery(cfg, second.messageId, t.id);
    await waitFor(async () => {
      const r = await withDb((db) => db.query(`SELECT state FROM deliveries WHERE message_id = $1`, [second.messageId]));
      return r.rows[0].state === 'deferred';
    }, { what: 'deferred while the stand-in is down' });
    standin = new AppProcess('test/e2e/delivery/standin-launcher.js', { STANDIN_ARGS: JSON.stringify(['--port', String(upstreamPort), '--dir', upstreamDir]) }, 'standin').start();
    await standin.waitForLog(/"msg":"listening"/);
    await waitFor(async () => (await readStored(upstreamDir)).some((m) => m.raw.includes(`<two-${t.slug}@x>`)), { what: 'second message after the restart', timeoutMs: 20000 });
    expect((await readStored(upstreamDir)).length).toBe(2);
    await standin.waitForLog(/"msg":"received"/);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await worker.stop('SIGTERM')).toBe(0);
    expect(worker.lines.some((l) => /"msg":"stopped"/.test(l))).toBe(true);
  });
});
