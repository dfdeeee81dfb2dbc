import { createTestTenant, TestTenant, uniqueLabel } from '../../support/factories';
import { queueIdsOf, startTestMx } from '../mx/mx-harness';
import type { RunningMx } from '../../../apps/mx/src/mx.bootstrap';
import { addConnector, journalReport, message, rawSession, readBlob, relay, rows, storedFor } from './outbound-harness';

jest.setTimeout(30000);

const JOURNAL_DOMAIN = 'journal.mx.test.example';
const external = () => `${uniqueLabel('x')}@external.example`;

/**
 * The smarthost: a tenant's Exchange (nodemailer as stand-in) relays through
 * the MX from a registered address or with SMTP AUTH over STARTTLS; everyone
 * else keeps the inbound rules.
 */
describe('smarthost ingress', () => {
  let mx: RunningMx;
  let t: TestTenant; // relays from 127.0.0.1 and with AUTH
  let u: TestTenant; // another tenant, AUTH only
  let tAuth: { user: string; pass: string };
  let uAuth: { user: string; pass: string };

  beforeAll(async () => {
    mx = await startTestMx({ MX_AUTH_FAILURE_DELAY_MS: '50', MX_AUTH_MAX_FAILURES: '50', JOURNAL_DOMAIN });
    t = await createTestTenant({ mailboxes: ['alice', 'bob', 'carol'] });
    u = await createTestTenant({ mailboxes: ['erin'] });
    const a = await addConnector(t.slug, { name: 'exchange', sourceCidrs: ['127.0.0.1'], auth: true });
    const b = await addConnector(u.slug, { name: 'm365', auth: true });
    tAuth = { user: a.username!, pass: a.password! };
    uAuth = { user: b.username!, pass: b.password! };
  });
  afterAll(async () => {
    await mx?.stop();
  });

  async function messageOf(reply: string) {
    const [qid] = queueIdsOf(reply);
    const [m] = await rows<{ id: string; tenant_id: string; direction: string; blob_key: string; rcpt_to: string[]; journal_state: string | null; mail_from: string }>(`SELECT * FROM messages WHERE queue_id = $1`, [qid]);
    return m;
  }
  const deliveriesOf = (id: string) => rows<{ recipient: string; route_kind: string; state: string }>(`SELECT recipient, route_kind, state FROM deliveries WHERE message_id = $1 ORDER BY recipient`, [id]);
  const mirrorsOf = (id: string) => rows<{ mailbox_id: string; folder: string }>(`SELECT mailbox_id, folder FROM mirror_entries WHERE message_id = $1 ORDER BY folder, mailbox_id`, [id]);

  it('relays for the registered address: the internet recipient is routed to the internet, the colleague to Exchange and his Inbox, the sender gets Sent', async () => {
    const to = [external(), t.mailboxes.bob.address];
    const res = await relay({ port: mx.smtpPort, from: t.mailboxes.alice.address, to, raw: message(t.mailboxes.alice.address, to, 'address relay') });
    expect(res.response).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]{16}$/);
    const m = await messageOf(res.response);
    expect(m).toMatchObject({ tenant_id: t.id, direction: 'outbound', mail_from: t.mailboxes.alice.address });
    expect(await deliveriesOf(m.id)).toEqual(
      [
        { recipient: to[0], route_kind: 'internet', state: 'queued' },
        { recipient: t.mailboxes.bob.address, route_kind: 'upstream', state: 'queued' },
      ].sort((x, y) => x.recipient.localeCompare(y.recipient)),
    );
    expect(await mirrorsOf(m.id)).toEqual([
      { mailbox_id: t.mailboxes.bob.id, folder: 'inbox' },
      { mailbox_id: t.mailboxes.alice.id, folder: 'sent' },
    ]);
    const blob = (await readBlob(m.blob_key)).toString('utf8');
    expect(blob).toMatch(/^Received: from exchange\.customer\.example \(\[127\.0\.0\.1\]\)\r\n\tby mx\.test\.example with ESMTPS /);
  });

  it('relays with SMTP AUTH over STARTTLS from an unregistered address, and says ESMTPSA', async () => {
    const to = [external()];
    const res = await relay({ port: mx.smtpPort, localAddress: '127.0.0.2', from: t.mailboxes.carol.address, to, raw: message(t.mailboxes.carol.address, to, 'auth relay'), auth: tAuth, tls: 'required' });
    expect(res.response).toMatch(/^250 /);
    const m = await messageOf(res.response);
    expect(m).toMatchObject({ tenant_id: t.id, direction: 'outbound' });
    expect(await deliveriesOf(m.id)).toEqual([{ recipient: to[0], route_kind: 'internet', state: 'queued' }]);
    expect(await mirrorsOf(m.id)).toEqual([{ mailbox_id: t.mailboxes.carol.id, folder: 'sent' }]);
    expect((await readBlob(m.blob_key)).toString('utf8')).toMatch(/^Received: from exchange\.customer\.example \(\[127\.0\.0\.2\]\)\r\n\tby mx\.test\.example with ESMTPSA /);
  });

  it("lets the authenticated identity win over another tenant's registered address", async () => {
    const to = [external()];
    const res = await relay({ port: mx.smtpPort, from: u.mailboxes.erin.address, to, raw: message(u.mailboxes.erin.address, to, 'auth wins'), auth: uAuth, tls: 'required' });
    expect(res.response).toMatch(/^250 /);
    const m = await messageOf(res.response);
    expect(m).toMatchObject({ tenant_id: u.id, direction: 'outbound' });
    expect(await mirrorsOf(m.id)).toEqual([{ mailbox_id: u.mailboxes.erin.id, folder: 'sent' }]);
  });

  it('keeps the inbound rules for mail from the registered address whose sender is not the tenant’s: inbound to our tenants, no relay', async () => {
    const inbound = await relay({ port: mx.smtpPort, from: 'someone@elsewhere.example', to: [t.mailboxes.bob.address], raw: message('someone@elsewhere.example', [t.mailboxes.bob.address], 'shared address inbound') });
    expect(inbound.response).toMatch(/^250 /);
    expect(await messageOf(inbound.response)).toMatchObject({ direction: 'inbound' });
    const to = external();
    const res = await relay({ port: mx.smtpPort, from: u.mailboxes.erin.address, to: [to], raw: message(u.mailboxes.erin.address, [to], 'foreign sender') });
    expect(res).toEqual({ ok: false, response: expect.stringMatching(/^550 5\.7\.1 /) });
    expect(await storedFor(to)).toBe(0);
  });

  describe('refusals, each with nothing stored', () => {
    it('an unregistered address relaying to the internet: 550 5.7.1', async () => {
      const to = external();
      const res = await relay({ port: mx.smtpPort, localAddress: '127.0.0.2', from: t.mailboxes.alice.address, to: [to], raw: message(t.mailboxes.alice.address, [to], 'open relay?') });
      expect(res).toEqual({ ok: false, response: expect.stringMatching(/^550 5\.7\.1 Relaying denied/) });
      expect(await storedFor(to)).toBe(0);
    });

    it("an authenticated connector sending as another tenant's domain: 550 5.7.1", async () => {
      const to = external();
      const res = await relay({ port: mx.smtpPort, localAddress: '127.0.0.2', from: u.mailboxes.erin.address, to: [to], raw: message(u.mailboxes.erin.address, [to], 'spoof'), auth: tAuth, tls: 'required' });
      expect(res).toEqual({ ok: false, response: expect.stringMatching(/^550 5\.7\.1 Sender address is not in a verified domain/) });
      expect(await storedFor(to)).toBe(0);
    });

    it('AUTH without TLS: 530 5.7.0', async () => {
      const s = await rawSession(mx.smtpPort, '127.0.0.2');
      try {
        await s.reply();
        expect(await s.cmd('EHLO exchange.customer.example')).toContain('AUTH PLAIN LOGIN');
        const creds = Buffer.from(`\0${tAuth.user}\0${tAuth.pass}`).toString('base64');
        expect(await s.cmd(`AUTH PLAIN ${creds}`)).toBe('530 5.7.0 Must issue a STARTTLS command first');
        // and the session is no smarthost afterwards
        await s.cmd(`MAIL FROM:<${t.mailboxes.alice.address}>`);
        const to = external();
        expect(await s.cmd(`RCPT TO:<${to}>`)).toMatch(/^550 5\.7\.1 /);
        expect(await storedFor(to)).toBe(0);
      } finally {
        s.close();
      }
      // nodemailer, told not to use TLS, hears the same
      const res = await relay({ port: mx.smtpPort, localAddress: '127.0.0.2', from: t.mailboxes.alice.address, to: [external()], raw: 'x', auth: tAuth, tls: 'none' });
      expect(res.response).toMatch(/^530 5\.7\.0 /);
    });

    it('a wrong password: 535 5.7.8', async () => {
      const to = external();
      const res = await relay({ port: mx.smtpPort, localAddress: '127.0.0.2', from: t.mailboxes.alice.address, to: [to], raw: 'x', auth: { user: tAuth.user, pass: 'wrong' }, tls: 'required' });
      expect(res).toEqual({ ok: false, response: '535 5.7.8 Authentication credentials invalid' });
      const unknown = await relay({ port: mx.smtpPort, localAddress: '127.0.0.2', from: t.mailboxes.alice.address, to: [to], raw: 'x', auth: { user: 'nobody', pass: tAuth.pass }, tls: 'required' });
      expect(unknown.response).toBe('535 5.7.8 Authentication credentials invalid');
      expect(await storedFor(to)).toBe(0);
    });

    it('a connector that requires TLS, used without STARTTLS: 530 5.7.0 at MAIL FROM', async () => {
      const to = external();
      const res = await relay({ port: mx.smtpPort, from: t.mailboxes.alice.address, to: [to], raw: 'x', tls: 'none' });
      expect(res.response).toMatch(/^530 5\.7\.0 /);
      expect(await storedFor(to)).toBe(0);
    });

    it('a tenant over its message and recipient rate limits: 451 4.7.1', async () => {
      const r = await createTestTenant({ mailboxes: ['max'] });
      const c = await addConnector(r.slug, { name: 'busy', auth: true, messagesPerMinute: 2, recipientsPerMinute: 3 });
      const auth = { user: c.username!, pass: c.password! };
      const send = (to: string[]) => relay({ port: mx.smtpPort, from: r.mailboxes.max.address, to, raw: message(r.mailboxes.max.address, to, 'busy'), auth, tls: 'required' });
      expect((await send([external()])).response).toMatch(/^250 /);
      const three = [external(), external(), external()];
      // two more recipients fit into this minute's three, the third does not: it alone is refused
      const rcptLimited = await send(three);
      expect(rcptLimited.refusedRecipients).toEqual({ [three[2]]: expect.stringMatching(/^451 4\.7\.1 Outbound recipients per minute/) });
      expect(await storedFor(three[2])).toBe(0);
      expect((await messageOf(rcptLimited.response)).rcpt_to).toEqual(three.slice(0, 2));
      const last = external();
      const msgLimited = await send([last]);
      expect(msgLimited.response).toMatch(/^451 4\.7\.1 Outbound messages per minute/);
      expect(await storedFor(last)).toBe(0);
    });
  });

  describe('journal reports', () => {
    const journalOf = (tt: TestTenant) => `journal+${tt.slug}@${JOURNAL_DOMAIN}`;

    it('unpacks an envelope journal report: the original as its own message, Sent for the sender, Inbox for colleagues, no deliveries', async () => {
      const original = message(t.mailboxes.alice.address, [t.mailboxes.bob.address, t.mailboxes.carol.address], 'internal only');
      const report = journalReport(
        [`Sender: ${t.mailboxes.alice.address}`, 'Subject: internal only', 'Message-Id: <x@customer.example>', `To: ${t.mailboxes.bob.address}`, `Cc: ${t.mailboxes.carol.address}`, 'Bcc: someone@elsewhere.example'],
        original,
      );
      const res = await relay({ port: mx.smtpPort, from: `MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@${t.domain}`, to: [journalOf(t)], raw: report });
      expect(res.response).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]{16}$/);
      const m = await messageOf(res.response);
      expect(m).toMatchObject({ tenant_id: t.id, direction: 'journal', journal_state: 'parsed', mail_from: t.mailboxes.alice.address, rcpt_to: [t.mailboxes.bob.address, t.mailboxes.carol.address, 'someone@elsewhere.example'] });
      expect((await readBlob(m.blob_key)).toString('utf8')).toBe(original);
      expect(await deliveriesOf(m.id)).toEqual([]);
      expect(await mirrorsOf(m.id)).toEqual(
        [
          { mailbox_id: t.mailboxes.bob.id, folder: 'inbox' },
          { mailbox_id: t.mailboxes.carol.id, folder: 'inbox' },
        ]
          .sort((x, y) => x.mailbox_id.localeCompare(y.mailbox_id))
          .concat([{ mailbox_id: t.mailboxes.alice.id, folder: 'sent' }]),
      );
    });

    it('keeps a report it cannot unpack whole, flagged, never lost', async () => {
      const report = journalReport([`Sender: ${t.mailboxes.alice.address}`, `To: ${t.mailboxes.bob.address}`], 'Subject: cut off\r\n\r\nhalf a messa', { closing: false });
      // null sender: over AUTH, since other tests' tenants register 127.0.0.1 too and <> from a shared address stays inbound
      const res = await relay({ port: mx.smtpPort, from: '', to: [journalOf(t)], raw: report, auth: tAuth, tls: 'required' });
      expect(res.response).toMatch(/^250 /);
      const m = await messageOf(res.response);
      expect(m).toMatchObject({ tenant_id: t.id, direction: 'journal', journal_state: 'unparsed' });
      expect((await readBlob(m.blob_key)).toString('utf8')).toContain(report);
      expect(await deliveriesOf(m.id)).toEqual([]);
      expect(await mirrorsOf(m.id)).toEqual([
        { mailbox_id: t.mailboxes.bob.id, folder: 'inbox' },
        { mailbox_id: t.mailboxes.alice.id, folder: 'sent' },
      ]);
    });

    it("refuses another tenant's journaling address, mixing reports with mail, and reports from outside any connector", async () => {
      const from = `journal-sender@${t.domain}`;
      expect((await relay({ port: mx.smtpPort, from, to: [journalOf(u)], raw: 'x' })).response).toMatch(/^550 5\.7\.1 /);
      const mixed = external();
      expect((await relay({ port: mx.smtpPort, from, to: [journalOf(t), mixed], raw: 'x' })).refusedRecipients).toEqual({ [mixed]: expect.stringMatching(/^452 4\.5\.3 /) });
      expect(await storedFor(mixed)).toBe(0);
      expect((await relay({ port: mx.smtpPort, localAddress: '127.0.0.2', from, to: [journalOf(t)], raw: 'x' })).response).toMatch(/^550 5\.7\.1 /);
    });
  });
});
