import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { createTestTenant, TestTenant, waitFor } from '../../support/factories';
import { freePort } from '../../support/processes';
import { SmtpListener } from '../../../apps/mx/src/smtp-listener.service';
import type { RunningMx } from '../../../apps/mx/src/mx.bootstrap';
import { countRows, freshDataDir, openTransaction, queueIdsOf, RawSmtp, sendRaw, startTestMx } from './mx-harness';

jest.setTimeout(40000);

const message = (subject: string) => `From: a@external.example\r\nTo: b@customer.example\r\nSubject: ${subject}\r\n\r\nbody\r\n`;

/** A TCP proxy in front of the real Postgres that a test can cut, so the real server never stops. */
class CuttableProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(5432, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }

  async cut(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const sock of this.sockets) sock.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

describe('MX limits and failures', () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTestTenant({ mailboxes: ['alice'] });
  });

  describe('sessions per IP and stalled clients', () => {
    let mx: RunningMx;
    let dataDir: string;
    beforeAll(async () => {
      dataDir = freshDataDir();
      mx = await startTestMx({ MX_MAX_SESSIONS_PER_IP: '2', MX_SOCKET_TIMEOUT_MS: '1000', DATA_DIR: dataDir });
    });
    afterAll(async () => {
      await mx?.stop();
    });
    const sessions = () => mx.app.get(SmtpListener).sessionsFrom('127.0.0.1');

    it('refuses a session over MX_MAX_SESSIONS_PER_IP with 421 4.7.0 at connect and admits again once one ends', async () => {
      const a = await RawSmtp.open(mx.smtpPort);
      const b = await RawSmtp.open(mx.smtpPort);
      expect(await a.reply()).toMatch(/^220 /);
      expect(await b.reply()).toMatch(/^220 /);
      const c = await RawSmtp.open(mx.smtpPort);
      expect(await c.reply()).toMatch(/^421 4\.7\.0 /);
      await c.closedPromise;
      await a.quit();
      await waitFor(() => sessions() === 1, { what: 'the session count to go down' });
      const d = await RawSmtp.open(mx.smtpPort);
      expect(await d.reply()).toMatch(/^220 /);
      await d.quit();
      await b.quit();
      await waitFor(() => sessions() === 0, { what: 'no sessions left' });
    });

    it('times out a client that stalls in the middle of DATA, keeps nothing, and releases its session', async () => {
      const c = await RawSmtp.open(mx.smtpPort);
      await c.reply();
      await openTransaction(c, 'sender@external.example', [t.mailboxes.alice.address]);
      expect(await c.cmd('DATA')).toMatch(/^354/);
      c.write('Subject: stalled\r\n\r\nhalf a message'.padEnd(300_000, 'x'));
      const idle = await RawSmtp.open(mx.smtpPort); // and one that never says anything
      expect(await idle.reply()).toMatch(/^220/);
      expect(sessions()).toBe(2);
      await Promise.all([c.closedPromise, idle.closedPromise]);
      await waitFor(() => sessions() === 0, { what: 'the stalled sessions to be released' });
      await waitFor(() => readdirSync(join(dataDir, 'blobs', 'tmp')).length === 0, { what: 'the partial blob to be removed' });
      expect(await countRows(`SELECT 1 FROM messages WHERE tenant_id = $1`, [t.id])).toBe(0);
      // and the address is admitted again at full strength
      const again = [await RawSmtp.open(mx.smtpPort), await RawSmtp.open(mx.smtpPort)];
      for (const s of again) expect(await s.reply()).toMatch(/^220/);
      for (const s of again) await s.quit();
    });
  });

  it('answers 451 4.3.0 and records nothing when the blob store cannot be written', async () => {
    const dataDir = freshDataDir();
    mkdirSync(join(dataDir, 'blobs'), { recursive: true });
    writeFileSync(join(dataDir, 'blobs', 'tmp'), 'not a directory'); // we run as root: permissions would not stop us
    const mx = await startTestMx({ DATA_DIR: dataDir });
    try {
      const before = await countRows(`SELECT 1 FROM messages WHERE tenant_id = $1`, [t.id]);
      const res = await sendRaw(mx.smtpPort, 'sender@external.example', [t.mailboxes.alice.address], message('blob store broken'));
      expect(res.ok).toBe(false);
      expect(res.response).toMatch(/^451 4\.3\.0 /);
      expect(await countRows(`SELECT 1 FROM messages WHERE tenant_id = $1`, [t.id])).toBe(before);
      const ready = await fetch(`http://127.0.0.1:${mx.httpPort}/health/ready`);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(await ready.json())).toMatch(/blob-store/);
    } finally {
      await mx.stop();
    }
  });

  it('answers 451 4.3.0, never 250, when Postgres becomes unreachable, and leaves the blob it wrote to the orphan sweep', async () => {
    const proxy = new CuttableProxy();
    await proxy.start();
    const dataDir = freshDataDir();
    const url = new URL(process.env.DATABASE_URL as string);
    url.port = String(proxy.port);
    const mx = await startTestMx({ DATABASE_URL: url.toString(), DATA_DIR: dataDir });
    try {
      const ok = await sendRaw(mx.smtpPort, 'sender@external.example', [t.mailboxes.alice.address], message('through the proxy'));
      expect(ok.response).toMatch(/^250 2\.0\.0 /);

      // cut between RCPT and the end of DATA: the blob is written, the transaction cannot commit
      const c = await RawSmtp.open(mx.smtpPort);
      await c.reply();
      await openTransaction(c, 'sender@external.example', [t.mailboxes.alice.address]);
      expect(await c.cmd('DATA')).toMatch(/^354/);
      await proxy.cut();
      c.write(message('postgres gone') + '.\r\n');
      expect(await c.reply(15000)).toMatch(/^451 4\.3\.0 /);
      await c.quit();
      const objects = join(dataDir, 'blobs', 'objects', t.id);
      const stored = readdirSync(objects).flatMap((shard) => readdirSync(join(objects, shard)));
      // The acknowledged message's blob, plus the unacknowledged one: kept, because a commit whose
      // answer was lost may have recorded it; it has no row, so the orphan sweep will remove it.
      expect(stored).toHaveLength(2);
      expect(stored).toEqual(expect.arrayContaining(queueIdsOf(ok.response)));
      const orphan = stored.find((q) => !queueIdsOf(ok.response).includes(q)) as string;
      expect(await countRows(`SELECT 1 FROM messages WHERE queue_id = $1`, [orphan])).toBe(0);

      // and with Postgres gone from the start of the transaction, RCPT is deferred too
      const res = await sendRaw(mx.smtpPort, 'sender@external.example', [t.mailboxes.alice.address], message('postgres still gone'));
      expect(res.ok).toBe(false);
      expect(res.response).toMatch(/^451 4\.3\.0 /);
      expect(await countRows(`SELECT 1 FROM messages WHERE tenant_id = $1 AND queue_id <> $2`, [t.id, queueIdsOf(ok.response)[0]])).toBe(0);
    } finally {
      await mx.stop();
      await proxy.cut();
    }
  });

  it('still answers 250 when Redis is down after the commit: the jobs are left to the sweeper', async () => {
    const dead = await freePort();
    const mx = await startTestMx({ REDIS_URL: `redis://127.0.0.1:${dead}`, DATA_DIR: freshDataDir() });
    try {
      const res = await sendRaw(mx.smtpPort, 'sender@external.example', [t.mailboxes.alice.address], message('redis down'));
      expect(res.response).toMatch(/^250 2\.0\.0 /);
      expect(await countRows(`SELECT 1 FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE m.queue_id = $1 AND d.state = 'queued'`, [queueIdsOf(res.response)[0]])).toBe(1);
    } finally {
      await mx.stop();
    }
  });

  it('shuts down gracefully: not ready, no new sessions, idle ones told 421, the transaction in flight finishes with 250', async () => {
    const mx = await startTestMx({ DATA_DIR: freshDataDir(), SHUTDOWN_GRACE_MS: '10000' });
    const busy = await RawSmtp.open(mx.smtpPort);
    const idle = await RawSmtp.open(mx.smtpPort);
    await busy.reply();
    await idle.reply();
    await openTransaction(busy, 'sender@external.example', [t.mailboxes.alice.address]);
    expect(await busy.cmd('DATA')).toMatch(/^354/);
    busy.write('Subject: in flight\r\n\r\nfirst half\r\n');
    const stopped = mx.stop();
    expect(await idle.reply()).toMatch(/^421 4\.3\.2 /);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${mx.httpPort}/health/ready`)).status === 503, { what: 'readiness to report draining' });
    await expect(RawSmtp.open(mx.smtpPort)).rejects.toThrow(/ECONNREFUSED/);
    busy.write('second half\r\n.\r\n');
    const reply = await busy.reply();
    expect(reply).toMatch(/^250 2\.0\.0 /);
    await busy.quit();
    await stopped;
    expect(await countRows(`SELECT 1 FROM messages WHERE queue_id = $1`, [queueIdsOf(reply)[0]])).toBe(1);
  });
});
