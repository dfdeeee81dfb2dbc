import { AppConfig } from '@app/config';
import { createTestTenant, insertTestMessage, uniqueLabel, waitFor, withDb } from '../../support/factories';
import { freePort } from '../../support/processes';
import { generateStandinCertificate, startStandinUpstream, StandinUpstream } from '../../support/standin';
import { RunningWorker } from '../../../apps/worker/src/worker.bootstrap';
import { crlf, deliveriesOf, dsnMessagesOf, dsnParts, enqueueDelivery, setMessageFlags, settleTenant, startTestWorker, testConfig } from './delivery-harness';

/**
 * The delivery engine against real Postgres, Redis and SMTP sockets: routes,
 * one transaction per route, per-recipient outcomes, DSNs, TLS policies and
 * the SMTP extensions carried over.
 */
describe('delivery routing', () => {
  const senderDomain = `${uniqueLabel('ext')}.example`;
  let cfg: AppConfig;
  let worker: RunningWorker;
  let upstream: StandinUpstream;
  let senders: StandinUpstream; // plays the internet MX of the senders' domain, where DSNs go

  beforeAll(async () => {
    upstream = await startStandinUpstream({ rejectRecipients: [/^refused-/i] });
    senders = await startStandinUpstream();
    cfg = testConfig({ REDIS_PREFIX: `${process.env.REDIS_PREFIX}:routing`, STATIC_ROUTES: `${senderDomain}=127.0.0.1:${senders.port}` });
    worker = await startTestWorker(cfg);
  });

  afterAll(async () => {
    await worker?.stop();
    await upstream?.stop();
    await senders?.stop();
  });

  const messagesFor = async (up: StandinUpstream, rcpt: string) => (await up.received()).filter((m) => m.rcptTo.includes(rcpt));

  it('passes a message to three mailboxes on in one transaction with all three recipients and the stored bytes', async () => {
    const t = await createTestTenant({ mailboxes: ['ann', 'bob', 'cy'], upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
    const rcpts = ['ann', 'bob', 'cy'].map((l) => t.mailboxes[l].address);
    // Stored with bare LF on purpose: the hop gets CRLF, nothing else changes.
    const raw = `Received: from client by mx (queue id X)\nDKIM-Signature: v=1; a=rsa-sha256; d=${senderDomain}; b=abc\nFrom: a@${senderDomain}\nTo: ${rcpts.join(', ')}\nSubject: three\nMessage-ID: <three-${t.slug}@${senderDomain}>\n\nline one\n.leading dot\nlast line\n`;
    const m = await insertTestMessage(t, { raw, mailFrom: `a@${senderDomain}`, recipients: rcpts });
    await enqueueDelivery(cfg, m.messageId, t.id);
    await waitFor(async () => (await deliveriesOf(m.messageId)).every((d) => d.state === 'delivered'), { what: 'three deliveries' });
    const got = await messagesFor(upstream, rcpts[0]);
    expect(got).toHaveLength(1);
    expect(got[0].rcptTo.sort()).toEqual([...rcpts].sort());
    expect(got[0].mailFrom).toBe(`a@${senderDomain}`);
    // Prepend only: our Authentication-Results header, then the stored bytes unchanged.
    const stored = crlf(raw);
    expect(got[0].raw.subarray(-stored.length).equals(stored)).toBe(true);
    expect(got[0].raw.subarray(0, got[0].raw.length - stored.length).toString()).toMatch(/^Authentication-Results: mx\.delivery-test\.localhost;\r\n(?: .*\r\n)+$/);
    const rows = await deliveriesOf(m.messageId);
    for (const r of rows) {
      expect(r).toMatchObject({ attempts: 1, last_route: `127.0.0.1:${upstream.port}`, lease_owner: null });
      expect(r.last_reply).toMatch(/^250 /);
      expect(r.delivered_at).toBeTruthy();
    }
  });

  it('fails over to the secondary upstream when the primary is down', async () => {
    const deadPort = await freePort();
    const t = await createTestTenant({ mailboxes: ['dee'], upstreams: [{ host: '127.0.0.1', port: deadPort, priority: 10 }, { host: '127.0.0.1', port: upstream.port, priority: 20 }] });
    const rcpt = t.mailboxes.dee.address;
    const m = await insertTestMessage(t, { raw: `Subject: failover\r\nMessage-ID: <fo-${t.slug}@x>\r\n\r\nhi\r\n`, recipients: [rcpt] });
    await enqueueDelivery(cfg, m.messageId, t.id);
    await waitFor(async () => (await deliveriesOf(m.messageId))[0].state === 'delivered', { what: 'delivered to the secondary' });
    expect((await deliveriesOf(m.messageId))[0]).toMatchObject({ attempts: 1, last_route: `127.0.0.1:${upstream.port}` });
    expect(await messagesFor(upstream, rcpt)).toHaveLength(1);
  });

  it('delivers to the recipients a hop accepts and bounces the one it refuses, with exactly one RFC 3464 DSN to the sender', async () => {
    const t = await createTestTenant({ mailboxes: ['eve', 'fay', 'refused-gus'], upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
    const [eve, fay, gus] = ['eve', 'fay', 'refused-gus'].map((l) => t.mailboxes[l].address);
    const sender = `writer-${t.slug}@${senderDomain}`;
    const raw = `From: ${sender}\r\nTo: ${eve}, ${fay}, ${gus}\r\nSubject: partly refused\r\nMessage-ID: <partial-${t.slug}@${senderDomain}>\r\n\r\nbody text that stays out of the DSN\r\n`;
    const m = await insertTestMessage(t, { raw, mailFrom: sender, recipients: [eve, fay, gus] });
    await enqueueDelivery(cfg, m.messageId, t.id);
    await waitFor(async () => (await deliveriesOf(m.messageId)).every((d) => d.state !== 'queued'), { what: 'outcomes' });
    const rows = Object.fromEntries((await deliveriesOf(m.messageId)).map((r) => [r.recipient, r]));
    expect(rows[eve].state).toBe('delivered');
    expect(rows[fay].state).toBe('delivered');
    expect(rows[gus]).toMatchObject({ state: 'bounced', attempts: 1 });
    expect(rows[gus].last_reply).toMatch(/^550 5\.1\.1 /);
    const arrived = await messagesFor(upstream, eve);
    expect(arrived).toHaveLength(1);
    expect(arrived[0].rcptTo.sort()).toEqual([eve, fay].sort());

    const dsns = await dsnMessagesOf(t.id);
    expect(dsns).toHaveLength(1);
    expect(dsns[0]).toMatchObject({ mail_from: '', rcpt_to: [sender] });
    expect(rows[gus].dsn_queue_id).toBe(dsns[0].queue_id);
    const [dsn] = await waitFor(async () => {
      const l = await messagesFor(senders, sender);
      return l.length ? l : null;
    }, { what: 'DSN at the sender’s MX' });
    expect(await messagesFor(senders, sender)).toHaveLength(1);
    expect(dsn.mailFrom).toBe('');
    const { headers, parts } = dsnParts(dsn.raw);
    expect(headers).toMatch(/^From: Mail Delivery System <MAILER-DAEMON@mx\.delivery-test\.localhost>$/m);
    expect(headers).toMatch(/Content-Type: multipart\/report; report-type=delivery-status;/);
    expect(parts.map((p) => /Content-Type: ([^;\r\n]+)/.exec(p.headers)?.[1])).toEqual(['text/plain', 'message/delivery-status', 'text/rfc822-headers']);
    const status = parts[1].body;
    expect(status).toMatch(/^Reporting-MTA: dns; mx\.delivery-test\.localhost$/m);
    expect(status).toMatch(/^Arrival-Date: \w{3}, \d{2} \w{3} \d{4} /m);
    expect(status).toContain(`Final-Recipient: rfc822; ${gus}\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; 127.0.0.1:${upstream.port}\r\nDiagnostic-Code: smtp; 550 5.1.1`);
    expect(status).not.toContain(eve);
    expect(parts[2].body).toContain(`Message-ID: <partial-${t.slug}@${senderDomain}>`);
    expect(parts[2].body).not.toContain('body text that stays out');
    const dsnRow = await withDb(async (db) => (await db.query(`SELECT state FROM deliveries WHERE message_id = $1`, [dsns[0].id])).rows[0]);
    expect(dsnRow.state).toBe('delivered');
  });

  it('sends no DSN for a failed message from the null sender', async () => {
    const t = await createTestTenant({ mailboxes: ['refused-hal'], upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
    const m = await insertTestMessage(t, { raw: `Subject: a bounce itself\r\n\r\nx\r\n`, mailFrom: '', recipients: [t.mailboxes['refused-hal'].address] });
    await enqueueDelivery(cfg, m.messageId, t.id);
    await waitFor(async () => (await deliveriesOf(m.messageId))[0].state === 'bounced', { what: 'bounce' });
    expect((await deliveriesOf(m.messageId))[0].dsn_queue_id).toBeNull();
    expect(await dsnMessagesOf(t.id)).toHaveLength(0);
  });

  it('carries BODY=8BITMIME and SMTPUTF8 over from the inbound session, and only when it had them', async () => {
    const t = await createTestTenant({ mailboxes: ['ida', 'jo'], upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
    const utf8 = await insertTestMessage(t, { raw: Buffer.from(`Subject: Grüße aus Köln\r\nFrom: "Jürgen" <j@${senderDomain}>\r\n\r\nGrüße\r\n`), recipients: [t.mailboxes.ida.address] });
    await setMessageFlags(utf8.messageId, { body8bitmime: true, smtputf8: true });
    const plain = await insertTestMessage(t, { raw: `Subject: plain\r\n\r\nascii\r\n`, recipients: [t.mailboxes.jo.address] });
    await enqueueDelivery(cfg, utf8.messageId, t.id);
    await enqueueDelivery(cfg, plain.messageId, t.id);
    const [a] = await waitFor(async () => {
      const l = await messagesFor(upstream, t.mailboxes.ida.address);
      return l.length ? l : null;
    });
    const [b] = await waitFor(async () => {
      const l = await messagesFor(upstream, t.mailboxes.jo.address);
      return l.length ? l : null;
    });
    expect(a).toMatchObject({ body: '8BITMIME', smtputf8: true });
    expect(a.raw.toString('utf8')).toContain('Grüße aus Köln');
    expect(b).toMatchObject({ body: null, smtputf8: false });
  });

  describe('TLS to upstreams', () => {
    let tlsUpstream: StandinUpstream;
    beforeAll(async () => {
      tlsUpstream = await startStandinUpstream({ tls: true });
    });
    afterAll(async () => {
      await tlsUpstream?.stop();
    });

    it('delivers over STARTTLS to an upstream with a pinned certificate', async () => {
      const t = await createTestTenant({ mailboxes: ['kim'], upstreams: [{ host: '127.0.0.1', port: tlsUpstream.port, tlsPolicy: 'pinned', pinnedCertPem: tlsUpstream.certPem as string }] });
      const m = await insertTestMessage(t, { raw: `Subject: pinned\r\n\r\nx\r\n`, recipients: [t.mailboxes.kim.address] });
      await enqueueDelivery(cfg, m.messageId, t.id);
      await waitFor(async () => (await deliveriesOf(m.messageId))[0].state === 'delivered', { what: 'pinned delivery' });
      const got = (await tlsUpstream.received()).filter((x) => x.rcptTo.includes(t.mailboxes.kim.address));
      expect(got).toHaveLength(1);
      expect(got[0].secure).toBe(true);
    });

    it('refuses to deliver when the upstream presents another certificate than the pinned one', async () => {
      const other = await generateStandinCertificate('impostor.localhost');
      const t = await createTestTenant({ mailboxes: ['lou'], upstreams: [{ host: '127.0.0.1', port: tlsUpstream.port, tlsPolicy: 'pinned', pinnedCertPem: other.cert }] });
      const m = await insertTestMessage(t, { raw: `Subject: wrong pin\r\n\r\nx\r\n`, recipients: [t.mailboxes.lou.address] });
      await enqueueDelivery(cfg, m.messageId, t.id);
      const row = await waitFor(async () => {
        const r = (await deliveriesOf(m.messageId))[0];
        return r.state === 'deferred' ? r : null;
      }, { what: 'deferred after the TLS failure' });
      expect(row.last_reply).toMatch(/ETLS|certificate/i);
      expect((await tlsUpstream.received()).filter((x) => x.rcptTo.includes(t.mailboxes.lou.address))).toHaveLength(0);
      await settleTenant(t.id);
    });

    it('refuses plain delivery to a "verify" upstream that offers no STARTTLS', async () => {
      const t = await createTestTenant({ mailboxes: ['max'], upstreams: [{ host: '127.0.0.1', port: upstream.port, tlsPolicy: 'verify' }] });
      const m = await insertTestMessage(t, { raw: `Subject: needs tls\r\n\r\nx\r\n`, recipients: [t.mailboxes.max.address] });
      await enqueueDelivery(cfg, m.messageId, t.id);
      const row = await waitFor(async () => {
        const r = (await deliveriesOf(m.messageId))[0];
        return r.state === 'deferred' ? r : null;
      }, { what: 'deferred without TLS' });
      expect(row.last_reply).toMatch(/STARTTLS|TLS/i);
      expect(await messagesFor(upstream, t.mailboxes.max.address)).toHaveLength(0);
      await settleTenant(t.id);
    });
  });
});
