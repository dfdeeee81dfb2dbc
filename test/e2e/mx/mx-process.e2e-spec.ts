import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { AppProcess } from '../../support/processes';
import { createTestTenant, TestTenant, uniqueLabel, withDb } from '../../support/factories';
import { openTransaction, queueIdsOf, RawSmtp } from '../../integration/mx/mx-harness';

jest.setTimeout(60000);

/** The built MX (`npm run build` first) as operators run it: `node dist/apps/mx/src/main.js`, configured by the environment. */
describe('mx process', () => {
  let mx: AppProcess;
  let smtpPort: number;
  let httpPort: number;
  let t: TestTenant;

  beforeAll(async () => {
    t = await createTestTenant({ mailboxes: ['alice', 'bob'] });
    mx = new AppProcess('dist/apps/mx/src/main.js', {
      MX_SMTP_HOST: '127.0.0.1',
      MX_SMTP_PORT: '0',
      MX_HTTP_PORT: '0',
      MX_HOSTNAME: 'mx.e2e.example',
      DATA_DIR: mkdtempSync(join(process.env.DATA_DIR as string, 'mx-e2e-')),
      SHUTDOWN_GRACE_MS: '15000',
    }, 'mx').start();
    const line = JSON.parse(await mx.waitForLog(/"msg":"listening"/));
    smtpPort = line.smtpPort;
    httpPort = line.httpPort;
  });
  afterAll(async () => {
    await mx?.stop('SIGKILL');
  });

  it('logs the ports it bound, serves health and metrics, and is ready', async () => {
    expect(smtpPort).toBeGreaterThan(0);
    expect(httpPort).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${httpPort}/health/live`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${httpPort}/health/ready`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()).toMatch(/mc_smtp_sessions/);
  });

  it('accepts mail over STARTTLS from nodemailer, logs the queue id and never the content', async () => {
    const secret = uniqueLabel('content-marker');
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, requireTLS: true, tls: { rejectUnauthorized: false }, name: 'client.e2e.example' });
    const info = await transport.sendMail({
      envelope: { from: 'sender@external.example', to: [t.mailboxes.alice.address, t.mailboxes.bob.address] },
      raw: `From: sender@external.example\r\nTo: ${t.mailboxes.alice.address}\r\nSubject: ${secret}\r\n\r\n${secret}\r\n`,
    });
    transport.close();
    expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]{16}$/);
    const [qid] = queueIdsOf(info.response);
    const line = JSON.parse(await mx.waitForLog(new RegExp(`"queueId":"${qid}"`)));
    expect(line).toMatchObject({ msg: 'accepted', app: 'mx', queueId: qid, tenantId: t.id });
    expect(mx.lines.join('\n')).not.toContain(secret);
    for (const l of mx.lines) expect(() => JSON.parse(l)).not.toThrow();
    const row = await withDb(async (db) => (await db.query(`SELECT rcpt_to FROM messages WHERE queue_id = $1`, [qid])).rows[0]);
    expect(row.rcpt_to).toEqual([t.mailboxes.alice.address, t.mailboxes.bob.address]);
  });

  it('on SIGTERM finishes the transaction in flight with 250, then exits 0', async () => {
    const c = await RawSmtp.open(smtpPort);
    await c.reply();
    await openTransaction(c, 'sender@external.example', [t.mailboxes.alice.address]);
    expect(await c.cmd('DATA')).toMatch(/^354/);
    c.write('Subject: in flight at SIGTERM\r\n\r\nfirst half\r\n');
    const exited = mx.stop('SIGTERM', 20000);
    await mx.waitForLog(/"msg":"draining"/);
    c.write('second half\r\n.\r\n');
    const reply = await c.reply();
    expect(reply).toMatch(/^250 2\.0\.0 /);
    await c.quit();
    expect(await exited).toBe(0);
    expect(mx.lines.some((l) => /"msg":"stopped"/.test(l))).toBe(true);
    const n = await withDb(async (db) => (await db.query(`SELECT count(*)::int AS n FROM messages WHERE queue_id = $1`, [queueIdsOf(reply)[0]])).rows[0].n);
    expect(n).toBe(1);
  });
});
