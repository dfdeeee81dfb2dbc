import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { createTestTenant, waitFor, withDb } from '../../support/factories';
import { AppProcess, freePort } from '../../support/processes';
import { startStandinUpstream } from '../../../infra/standin-upstream/standin-upstream';

/**
 * The mail path end to end with the built processes: SMTP in at the mx, one
 * transaction out of the worker to the tenant's Exchange stand-in, and each
 * standby mailbox holding an indexed mirror entry.
 */
jest.setTimeout(60_000);

describe('mail path', () => {
  let upstream: Awaited<ReturnType<typeof startStandinUpstream>>;
  let mx: AppProcess;
  let worker: AppProcess;
  let dataDir: string;
  let smtpPort: number;

  beforeAll(async () => {
    upstream = await startStandinUpstream({ port: 0, host: '127.0.0.1', dir: mkdtempSync(join(tmpdir(), 'mc-path-upstream-')) });
    dataDir = mkdtempSync(join(tmpdir(), 'mc-path-data-'));
    smtpPort = await freePort();
    const env = {
      DATA_DIR: dataDir,
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}-path`,
      MX_SMTP_HOST: '127.0.0.1',
      MX_SMTP_PORT: String(smtpPort),
      MX_HTTP_PORT: String(await freePort()),
      WORKER_HTTP_PORT: String(await freePort()),
      SWEEP_INTERVAL_MS: '500',
    };
    mx = new AppProcess('dist/apps/mx/src/main.js', env, 'mx').start();
    worker = new AppProcess('dist/apps/worker/src/main.js', env, 'worker').start();
    await Promise.all([mx.waitForLog(/"msg":"listening"/), worker.waitForLog(/"msg":"listening"/)]);
  });

  afterAll(async () => {
    await mx?.stop();
    await worker?.stop();
    await upstream?.stop();
  });

  it('passes a message to three mailboxes on in one transaction, byte for byte, and mirrors it with parsed metadata', async () => {
    const tenant = await createTestTenant({ mailboxes: ['ann', 'ben', 'cat'], upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
    const to = Object.values(tenant.mailboxes).map((m) => m.address);
    const raw =
      `From: "Pat Sender" <pat@sender.example>\r\nTo: ${to.join(', ')}\r\nSubject: Quarterly figures\r\n` +
      `Date: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <three-${Date.now()}@sender.example>\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\n\r\nThe figures are attached in spirit.\r\n.leading dot survives\r\n`;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    const info = await transport.sendMail({ envelope: { from: 'pat@sender.example', to }, raw });
    transport.close();
    const queueId = /queued as ([A-Z0-9]+)/.exec(info.response)?.[1];
    expect(queueId).toBeTruthy();

    const [delivered] = await waitFor(async () => {
      const got = (await upstream.received()).filter((m) => m.raw.toString('utf8').includes(queueId as string));
      return got.length ? got : null;
    }, { what: 'the message at the upstream' });
    expect(delivered.rcptTo.sort()).toEqual([...to].sort());
    const text = delivered.raw.toString('utf8');
    // Prepended authentication results and trace header naming the queue id, then exactly the bytes sent.
    expect(text).toMatch(/^Authentication-Results: [^;\r\n]+;\r\n(?: .*\r\n)+Received: /);
    expect(text).toContain(`id ${queueId}`);
    expect(text.endsWith(raw)).toBe(true);
    expect((await upstream.received()).filter((m) => m.raw.toString('utf8').includes(queueId as string))).toHaveLength(1);

    const rows = await waitFor(async () => {
      const r = await withDb((db) =>
        db.query(
          `SELECT e.mailbox_id, e.folder, m.subject, m.from_addr, m.snippet, m.index_state, m.blob_key
             FROM mirror_entries e JOIN messages m ON m.id = e.message_id
            WHERE m.queue_id = $1 AND m.tenant_id = $2`,
          [queueId, tenant.id],
        ),
      );
      return r.rows.length === 3 && r.rows.every((x) => x.index_state === 'indexed') ? r.rows : null;
    }, { what: 'three indexed mirror entries' });
    expect(rows.map((r) => r.mailbox_id).sort()).toEqual(Object.values(tenant.mailboxes).map((m) => m.id).sort());
    for (const r of rows) {
      expect(r.folder).toBe('inbox');
      expect(r.subject).toBe('Quarterly figures');
      expect(r.from_addr).toEqual([{ name: 'Pat Sender', address: 'pat@sender.example' }]);
      expect(r.snippet).toContain('The figures are attached');
    }
    // One blob for the message, however many mailboxes show it.
    expect(new Set(rows.map((r) => r.blob_key)).size).toBe(1);
    const shardDir = join(dataDir, 'blobs', 'objects', tenant.id);
    const blobs = readdirSync(shardDir).flatMap((d) => readdirSync(join(shardDir, d)).filter((f) => statSync(join(shardDir, d, f)).isFile()));
    expect(blobs).toEqual([queueId]);

    const state = await withDb((db) => db.query(`SELECT d.state, d.attempts FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE m.queue_id = $1`, [queueId]));
    expect(state.rows).toEqual([{ state: 'delivered', attempts: 1 }, { state: 'delivered', attempts: 1 }, { state: 'delivered', attempts: 1 }]);
  });
});
