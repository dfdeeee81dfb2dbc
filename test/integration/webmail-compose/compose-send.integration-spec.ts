import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { simpleParser } from 'mailparser';
import { ReconciliationService } from '@app/continuity/recovery';
import { createTestTenant, insertTestMessage, TestTenant, uniqueLabel, waitFor, withDb } from '../../support/factories';
import { startStandinUpstream, StandinUpstream } from '../../support/standin';
import { testConfig } from '../delivery/delivery-harness';
import { publishAndActivate, startWorkerWithDns, TestDns, WorkerWithDns } from '../internet-delivery/internet-harness';
import { modeOf, transition } from '../continuity/recovery/recovery-harness';
import { readBlob } from '../outbound/outbound-harness';
import { addSharedMailbox, clientFor, ComposeApp, employeeOf, entryOf, rows, startComposeApp } from './compose-harness';

jest.setTimeout(60000);

const MAX_ATTACHMENT = 4096;
const MAX_MESSAGE = 6000;
const SENDS_PER_MINUTE = 4;

/**
 * Writing in the webmail, end to end: the compose API (behind a stand-in
 * session), the real worker delivering to stand-in MXs found through the
 * static route table, DKIM keys published in the test DNS, and a tenant's
 * Exchange stand-in that gets held mail and the copies back after recovery.
 */
describe('webmail compose and send', () => {
  const dns = new TestDns();
  const dest = `${uniqueLabel('dest')}.example`;
  const prefix = `${process.env.REDIS_PREFIX}:webmail-compose`;
  let worker: WorkerWithDns;
  let web: ComposeApp;
  let internetMx: StandinUpstream;
  let exchange: StandinUpstream;
  let t: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    internetMx = await startStandinUpstream({ hostname: 'internet-mx.test' });
    exchange = await startStandinUpstream();
    t = await createTestTenant({ mailboxes: ['alice', 'bob', 'carl', 'dora'], upstreams: [{ host: '127.0.0.1', port: exchange.port }] });
    other = await createTestTenant({ mailboxes: ['eve', 'bobby'] });
    const overrides = { REDIS_PREFIX: prefix, STATIC_ROUTES: `${dest}=127.0.0.1:${internetMx.port}`, MTA_STS_ENABLED: 'false', REPLAY_TICK_MS: '100' };
    worker = await startWorkerWithDns(testConfig(overrides), dns);
    await worker.keys.createKey({ domain: t.domain });
    await publishAndActivate(dns, worker.keys, t.domain);
    web = await startComposeApp(
      testConfig({ ...overrides, WEBMAIL_MAX_ATTACHMENT_BYTES: String(MAX_ATTACHMENT), WEBMAIL_MAX_MESSAGE_BYTES: String(MAX_MESSAGE), WEBMAIL_SENDS_PER_MINUTE: String(SENDS_PER_MINUTE) }),
    );
  });

  afterAll(async () => {
    await web?.stop();
    await worker?.stop();
    await internetMx?.stop();
    await exchange?.stop();
  });

  const as = (tenant: TestTenant, local: string) => clientFor(web.url, employeeOf(tenant.id, tenant.mailboxes[local]));

  it('replies to an external sender: DKIM-signed for the tenant domain, threaded, in Sent, and copied back to the sender at once', async () => {
    const carol = `${uniqueLabel('carol')}@${dest}`;
    const orig = `<orig-${uniqueLabel('m')}@${dest}>`;
    const root = `<root-${uniqueLabel('m')}@${dest}>`;
    const m = await insertTestMessage(t, {
      raw: `From: Carol <${carol}>\r\nTo: ${t.mailboxes.alice.address}\r\nCc: ${t.mailboxes.bob.address}\r\nSubject: Hello\r\nDate: Tue, 01 Dec 2026 09:00:00 +0000\r\nMessage-ID: ${orig}\r\nReferences: ${root}\r\n\r\nHi Alice,\r\nhow are you?\r\n`,
      mailFrom: carol,
      recipients: [t.mailboxes.alice.address],
      mirrorMailboxIds: [t.mailboxes.alice.id],
    });
    await withDb((db) => db.query(`UPDATE deliveries SET state = 'delivered', delivered_at = now() WHERE message_id = $1`, [m.messageId]));
    const alice = as(t, 'alice');

    const tpl = await alice.post('/api/compose/reply-template', { entryId: await entryOf(m.messageId, t.mailboxes.alice.id), mode: 'reply' });
    expect(tpl.status).toBe(201);
    expect(tpl.body).toMatchObject({ mode: 'reply', subject: 'Re: Hello', to: [{ name: 'Carol', address: carol }], cc: [], inReplyTo: orig, references: [root, orig], from: { address: t.mailboxes.alice.address } });
    expect(tpl.body.text).toContain(`On Tue, 1 Dec 2026, 09:00 UTC, Carol <${carol}> wrote:\n> Hi Alice,\n> how are you?`);
    // reply-all adds the Cc (bob) and leaves alice out
    const all = await alice.post('/api/compose/reply-template', { entryId: await entryOf(m.messageId, t.mailboxes.alice.id), mode: 'replyAll' });
    expect(all.body.cc).toEqual([{ address: t.mailboxes.bob.address }]);
    expect((await alice.del(`/api/drafts/${all.body.id}`)).status).toBe(204);

    const draftId = tpl.body.id;
    expect((await alice.put(`/api/drafts/${draftId}`, { text: `Fine, thanks!${tpl.body.text}` })).status).toBe(200);
    expect((await alice.get('/api/drafts')).body.drafts.map((d: { id: string }) => d.id)).toContain(draftId);
    const sent = await alice.post(`/api/drafts/${draftId}/send`);
    expect(sent.status).toBe(202);
    expect(sent.body.messageIdHeader).toMatch(new RegExp(`^<[0-9A-Z]{16}\\.[0-9a-f]+@${t.domain.replace(/\./g, '\\.')}>$`));

    const arrived = await waitFor(async () => (await internetMx.received()).find((r) => r.rcptTo.includes(carol)), { timeoutMs: 30000, what: 'the reply at the internet MX' });
    expect(arrived.mailFrom).toBe(t.mailboxes.alice.address);
    const verdict = await dkimVerify(arrived.raw, { resolver: dns.resolver as never });
    expect(verdict.results.map((r) => [r.signingDomain, r.status.result])).toEqual([[t.domain, 'pass']]);
    const parsed = await simpleParser(arrived.raw);
    expect(parsed.inReplyTo).toBe(orig);
    expect(parsed.references).toEqual([root, orig]);
    expect(parsed.subject).toBe('Re: Hello');
    expect(parsed.messageId).toBe(sent.body.messageIdHeader);
    expect(parsed.from?.value).toEqual([{ name: 'alice', address: t.mailboxes.alice.address }]);
    expect(parsed.text).toContain('Fine, thanks!');
    expect(parsed.html).toContain('<blockquote');
    expect(parsed.headers.get('x-mailer')).toBe('Mail continuity webmail');
    expect(parsed.headers.has('bcc')).toBe(false);

    const [msg] = await rows(`SELECT id, direction, sign_dkim FROM messages WHERE queue_id = $1`, [sent.body.queueId]);
    expect(msg).toMatchObject({ direction: 'outbound', sign_dkim: true });
    expect(await rows(`SELECT mailbox_id, folder FROM mirror_entries WHERE message_id = $1`, [msg.id])).toEqual([{ mailbox_id: t.mailboxes.alice.id, folder: 'sent' }]);
    // The tenant is not in continuity mode: the copy back goes to alice's Exchange mailbox at once.
    const copy = await waitFor(async () => (await exchange.received()).find((r) => r.raw.toString().includes(sent.body.messageIdHeader)), { timeoutMs: 30000, what: 'the copy back at Exchange' });
    expect(copy).toMatchObject({ mailFrom: t.mailboxes.alice.address, rcptTo: [t.mailboxes.alice.address] });
    expect(await rows(`SELECT purpose, state FROM deliveries WHERE message_id = $1 AND route_kind = 'upstream'`, [msg.id])).toEqual([{ purpose: 'copy-back', state: 'delivered' }]);
    // The draft is gone.
    expect((await alice.get(`/api/drafts/${draftId}`)).status).toBe(404);
  });

  it('answers a large indexed message from its index and header block: Reply-To honoured, text quoted, forward refused with 413', async () => {
    const zed = `zed@${dest}`;
    const desk = `desk-${uniqueLabel('r')}@${dest}`;
    // Larger than twice the webmail's message limit: a reply must not parse it whole.
    const filler = 'x'.repeat(76) + '\r\n';
    const raw = `From: Zed <${zed}>\r\nReply-To: Help desk <${desk}>\r\nTo: ${t.mailboxes.alice.address}\r\nSubject: Big one\r\nDate: Tue, 01 Dec 2026 09:00:00 +0000\r\nMessage-ID: <big-${uniqueLabel('m')}@${dest}>\r\n\r\nHello Alice,\r\n${filler.repeat(Math.ceil((MAX_MESSAGE * 3) / filler.length))}`;
    const m = await insertTestMessage(t, { raw, mailFrom: zed, recipients: [t.mailboxes.alice.address], mirrorMailboxIds: [t.mailboxes.alice.id] });
    await withDb(async (db) => {
      await db.query(`UPDATE deliveries SET state = 'delivered', delivered_at = now() WHERE message_id = $1`, [m.messageId]);
      // As the indexer leaves it (a message this large is indexed from its text, which the webmail lists and quotes).
      await db.query(
        `UPDATE messages SET index_state = 'indexed', indexed_at = now(), from_addr = $2::jsonb, to_addr = $3::jsonb, cc_addr = '[]'::jsonb, subject = 'Big one', body_text = 'Hello Alice, the indexed text.' WHERE id = $1`,
        [m.messageId, JSON.stringify([{ name: 'Zed', address: zed }]), JSON.stringify([{ name: '', address: t.mailboxes.alice.address }])],
      );
    });
    const alice = as(t, 'alice');
    const entryId = await entryOf(m.messageId, t.mailboxes.alice.id);
    const tpl = await alice.post('/api/compose/reply-template', { entryId, mode: 'reply' });
    expect(tpl.status).toBe(201);
    expect(tpl.body).toMatchObject({ subject: 'Re: Big one', to: [{ name: 'Help desk', address: desk }] });
    expect(tpl.body.text).toContain('> Hello Alice, the indexed text.');
    expect((await alice.del(`/api/drafts/${tpl.body.id}`)).status).toBe(204);
    const fwd = await alice.post('/api/compose/reply-template', { entryId, mode: 'forward' });
    expect(fwd).toMatchObject({ status: 413, body: { code: 'message_too_large' } });
  });

  it('refuses what cannot be sent: no recipient, a bad address, and a second send of the same draft', async () => {
    const alice = as(t, 'alice');
    const d = await alice.post('/api/drafts', { subject: 'nobody' });
    expect(d.status).toBe(201);
    expect(await alice.post(`/api/drafts/${d.body.id}/send`)).toMatchObject({ status: 400, body: { code: 'no_recipients', field: 'to' } });
    await alice.put(`/api/drafts/${d.body.id}`, { to: [{ address: t.mailboxes.bob.address }], cc: [{ address: 'not an address' }] });
    expect(await alice.post(`/api/drafts/${d.body.id}/send`)).toMatchObject({ status: 400, body: { code: 'invalid_recipient', field: 'cc' } });
    expect((await alice.post('/api/drafts', { to: 'x' })).body).toMatchObject({ code: 'invalid_request', field: 'to' });
    await withDb((db) => db.query(`UPDATE webmail_drafts SET sending_at = now(), cc_addr = '[]' WHERE id = $1`, [d.body.id]));
    expect(await alice.post(`/api/drafts/${d.body.id}/send`)).toMatchObject({ status: 409, body: { code: 'already_sending' } });
  });

  it('sends as a shared mailbox only with send-as permission; other mailboxes are 404', async () => {
    const support = await addSharedMailbox(t.id, `support-${uniqueLabel('s')}@${t.domain}`, [
      { id: t.mailboxes.alice.id, canSendAs: true },
      { id: t.mailboxes.carl.id, canSendAs: false },
    ]);
    const alice = as(t, 'alice');
    const carl = as(t, 'carl');
    expect((await alice.get('/api/compose/senders')).body.senders.map((s: { address: string; kind: string }) => [s.address, s.kind])).toEqual([
      [t.mailboxes.alice.address, 'own'],
      [support.address, 'shared'],
    ]);
    expect((await carl.get('/api/compose/senders')).body.senders).toHaveLength(1);

    const d = await alice.post('/api/drafts', { fromMailboxId: support.id, to: [{ address: t.mailboxes.bob.address }], subject: 'from support', text: 'Hello from support' });
    expect(d.body.from).toEqual({ name: 'Support', address: support.address });
    const sent = await alice.post(`/api/drafts/${d.body.id}/send`);
    expect(sent.status).toBe(202);
    const [msg] = await rows(`SELECT id, mail_from FROM messages WHERE queue_id = $1`, [sent.body.queueId]);
    expect(msg.mail_from).toBe(support.address);
    expect(await rows(`SELECT mailbox_id, folder FROM mirror_entries WHERE message_id = $1 ORDER BY folder`, [msg.id])).toEqual([
      { mailbox_id: t.mailboxes.bob.id, folder: 'inbox' },
      { mailbox_id: support.id, folder: 'sent' },
    ]);
    const raw = (await readBlob(`${t.id}/${sent.body.queueId}`)).toString();
    expect(raw).toMatch(/^From: Support <support-/m);

    // answering mail in the shared mailbox: as the shared mailbox where allowed, else as oneself
    const asked = await insertTestMessage(t, { raw: `From: client@${dest}\r\nTo: ${support.address}\r\nSubject: Help\r\n\r\nPlease help.\r\n`, recipients: [support.address], mirrorMailboxIds: [support.id] });
    await withDb((db) => db.query(`UPDATE deliveries SET state = 'delivered', delivered_at = now() WHERE message_id = $1`, [asked.messageId]));
    const supportEntry = await entryOf(asked.messageId, support.id);
    expect((await alice.post('/api/compose/reply-template', { entryId: supportEntry, mode: 'reply' })).body).toMatchObject({ from: { address: support.address }, to: [{ address: `client@${dest}` }] });
    expect((await carl.post('/api/compose/reply-template', { entryId: supportEntry, mode: 'reply' })).body).toMatchObject({ from: { address: t.mailboxes.carl.address } });
    expect((await as(t, 'bob').post('/api/compose/reply-template', { entryId: supportEntry, mode: 'reply' })).status).toBe(404);

    expect(await carl.post('/api/drafts', { fromMailboxId: support.id })).toMatchObject({ status: 403, body: { code: 'send_as_denied' } });
    // carl's draft switched to the shared mailbox later is refused the same way
    const cd = await carl.post('/api/drafts', { to: [{ address: t.mailboxes.bob.address }] });
    expect(await carl.put(`/api/drafts/${cd.body.id}`, { fromMailboxId: support.id })).toMatchObject({ status: 403, body: { code: 'send_as_denied' } });
    // a mailbox the employee is no member of, and one of another tenant: 404
    expect(await carl.post('/api/drafts', { fromMailboxId: t.mailboxes.bob.id })).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await as(other, 'eve').post('/api/drafts', { fromMailboxId: support.id })).toMatchObject({ status: 404 });
  });

  it('keeps drafts and entries to their owner: another mailbox or tenant gets 404', async () => {
    const alice = as(t, 'alice');
    const d = await alice.post('/api/drafts', { to: [{ address: t.mailboxes.bob.address }], subject: 'private' });
    const up = await alice.upload(`/api/drafts/${d.body.id}/attachments`, [{ name: 'a.txt', type: 'text/plain', content: Buffer.from('secret') }]);
    expect(up.status).toBe(201);
    const attId = up.body.attachments[0].id;
    const m = await insertTestMessage(t, { raw: `From: x@${dest}\r\nSubject: s\r\n\r\nx\r\n`, recipients: [t.mailboxes.alice.address], mirrorMailboxIds: [t.mailboxes.alice.id] });
    await withDb((db) => db.query(`UPDATE deliveries SET state = 'delivered', delivered_at = now() WHERE message_id = $1`, [m.messageId]));
    const entryId = await entryOf(m.messageId, t.mailboxes.alice.id);
    for (const intruder of [as(t, 'bob'), as(other, 'eve')]) {
      expect((await intruder.get(`/api/drafts/${d.body.id}`)).status).toBe(404);
      expect((await intruder.put(`/api/drafts/${d.body.id}`, { subject: 'mine now' })).status).toBe(404);
      expect((await intruder.post(`/api/drafts/${d.body.id}/send`)).status).toBe(404);
      expect((await intruder.get(`/api/drafts/${d.body.id}/attachments/${attId}`)).status).toBe(404);
      expect((await intruder.del(`/api/drafts/${d.body.id}/attachments/${attId}`)).status).toBe(404);
      expect((await intruder.upload(`/api/drafts/${d.body.id}/attachments`, [{ name: 'b.txt', type: 'text/plain', content: Buffer.from('x') }])).status).toBe(404);
      expect((await intruder.del(`/api/drafts/${d.body.id}`)).status).toBe(404);
      expect((await intruder.post('/api/compose/reply-template', { entryId, mode: 'forward' })).status).toBe(404);
      expect((await intruder.get('/api/drafts')).body.drafts.map((x: { id: string }) => x.id)).not.toContain(d.body.id);
    }
    expect((await alice.get('/api/drafts/not-a-uuid')).status).toBe(404);
    expect(await alice.get(`/api/drafts/${d.body.id}`)).toMatchObject({ status: 200, body: { subject: 'private', attachments: [{ filename: 'a.txt' }] } });
  });

  it('refuses attachments over the limits with 413 and a clear message, and forwards the original attachments', async () => {
    const alice = as(t, 'alice');
    const d = await alice.post('/api/drafts', { to: [{ address: t.mailboxes.bob.address }], subject: 'files' });
    const big = await alice.upload(`/api/drafts/${d.body.id}/attachments`, [{ name: 'big.bin', type: 'application/octet-stream', content: Buffer.alloc(MAX_ATTACHMENT + 1, 1) }]);
    expect(big).toMatchObject({ status: 413, body: { statusCode: 413, code: 'attachment_too_large' } });
    expect(big.body.message).toBe('big.bin is larger than 4 KB, the largest attachment allowed');
    const ok = await alice.upload(`/api/drafts/${d.body.id}/attachments`, [{ name: 'one.bin', type: 'application/octet-stream', content: Buffer.alloc(MAX_ATTACHMENT, 2) }]);
    expect(ok.status).toBe(201);
    const over = await alice.upload(`/api/drafts/${d.body.id}/attachments`, [{ name: 'two.bin', type: 'application/octet-stream', content: Buffer.alloc(MAX_MESSAGE - MAX_ATTACHMENT + 1, 3) }]);
    expect(over).toMatchObject({ status: 413, body: { code: 'message_too_large' } });
    expect(over.body.message).toMatch(/two\.bin.*6 KB/);
    // nothing of a refused upload is kept
    expect((await alice.get(`/api/drafts/${d.body.id}`)).body).toMatchObject({ totalBytes: MAX_ATTACHMENT, attachments: [{ filename: 'one.bin', size: MAX_ATTACHMENT }] });
    expect(await rows(`SELECT count(*)::int AS n FROM webmail_draft_attachments WHERE draft_id = $1`, [d.body.id])).toEqual([{ n: 1 }]);

    // a message with an attachment, forwarded: the draft carries it, and so does the message sent
    const boundary = 'b0undary';
    const m = await insertTestMessage(t, {
      raw: `From: Zed <zed@${dest}>\r\nTo: ${t.mailboxes.alice.address}\r\nSubject: Report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n--${boundary}\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--${boundary}\r\nContent-Type: text/csv; name="q4.csv"\r\nContent-Disposition: attachment; filename="q4.csv"\r\n\r\na,b\r\n1,2\r\n--${boundary}--\r\n`,
      recipients: [t.mailboxes.alice.address],
      mirrorMailboxIds: [t.mailboxes.alice.id],
    });
    await withDb((db) => db.query(`UPDATE deliveries SET state = 'delivered', delivered_at = now() WHERE message_id = $1`, [m.messageId]));
    const fwd = await alice.post('/api/compose/reply-template', { entryId: await entryOf(m.messageId, t.mailboxes.alice.id), mode: 'forward' });
    expect(fwd.status).toBe(201);
    expect(fwd.body).toMatchObject({ subject: 'Fwd: Report', to: [], mode: 'forward', attachments: [{ filename: 'q4.csv', contentType: 'text/csv' }] });
    expect(fwd.body.text).toContain('---------- Forwarded message ----------\nFrom: Zed <zed@');
    await alice.put(`/api/drafts/${fwd.body.id}`, { to: [{ address: t.mailboxes.bob.address }] });
    const sent = await alice.post(`/api/drafts/${fwd.body.id}/send`);
    expect(sent.status).toBe(202);
    const parsed = await simpleParser(await readBlob(`${t.id}/${sent.body.queueId}`));
    expect(parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['q4.csv', 'a,b\r\n1,2']]);
    // the draft's files went with it
    expect(await rows(`SELECT count(*)::int AS n FROM webmail_draft_attachments WHERE draft_id = $1`, [fwd.body.id])).toEqual([{ n: 0 }]);
  });

  it('throttles sending per employee with a clear 429', async () => {
    const dora = as(t, 'dora');
    const answers: number[] = [];
    for (let i = 0; i <= SENDS_PER_MINUTE; i++) {
      const d = await dora.post('/api/drafts', { to: [{ address: t.mailboxes.bob.address }], subject: `burst ${i}` });
      const r = await dora.post(`/api/drafts/${d.body.id}/send`);
      answers.push(r.status);
      if (r.status === 429) {
        expect(r.body).toMatchObject({ code: 'send_rate_limited' });
        expect(r.body.message).toMatch(/wait a minute/);
        // the draft is kept for later
        expect((await dora.get(`/api/drafts/${d.body.id}`)).status).toBe(200);
      }
    }
    expect(answers).toEqual([...Array(SENDS_PER_MINUTE).fill(202), 429]);
  });

  it("respects the tenant's outbound limit per minute, shared with its Exchange's relayed mail", async () => {
    const v = await createTestTenant({ mailboxes: ['vic'] });
    await withDb((db) => db.query(`INSERT INTO outbound_connectors (tenant_id, name, source_cidrs, messages_per_minute) VALUES ($1, 'exchange', '{192.0.2.0/24}', 2)`, [v.id]));
    const vic = clientFor(web.url, employeeOf(v.id, v.mailboxes.vic));
    const answers: Array<[number, string | undefined]> = [];
    for (let i = 0; i < 3; i++) {
      const d = await vic.post('/api/drafts', { to: [{ address: v.mailboxes.vic.address }], subject: `note ${i}` });
      const r = await vic.post(`/api/drafts/${d.body.id}/send`);
      answers.push([r.status, r.body.code]);
    }
    expect(answers).toEqual([[202, undefined], [202, undefined], [429, 'tenant_rate_limited']]);
  });

  it('completes addresses from the own tenant only, active mailboxes, groups and aliases', async () => {
    await withDb(async (db) => {
      await db.query(`INSERT INTO mailboxes (tenant_id, address, display_name, status) VALUES ($1, $2, 'Bob Gone', 'disabled')`, [t.id, `bobgone@${t.domain}`]);
      await db.query(`INSERT INTO distribution_groups (tenant_id, address, display_name) VALUES ($1, $2, 'Board')`, [t.id, `board@${t.domain}`]);
      await db.query(`INSERT INTO aliases (tenant_id, address, mailbox_id) VALUES ($1, $2, $3)`, [t.id, `robert@${t.domain}`, t.mailboxes.bob.id]);
    });
    const r = await as(t, 'alice').get('/api/directory?q=bo');
    expect(r.status).toBe(200);
    const addresses = r.body.results.map((x: { address: string }) => x.address);
    expect(addresses).toEqual(expect.arrayContaining([t.mailboxes.bob.address, `board@${t.domain}`]));
    expect(addresses).not.toContain(`bobgone@${t.domain}`);
    expect(addresses).not.toContain(other.mailboxes.bobby.address);
    expect(r.body.results.find((x: { address: string }) => x.address === `board@${t.domain}`)).toEqual({ name: 'Board', address: `board@${t.domain}`, kind: 'group' });
    expect((await as(t, 'alice').get('/api/directory?q=robert')).body.results).toEqual([{ name: 'bob', address: `robert@${t.domain}`, kind: 'alias' }]);
    expect((await as(t, 'alice').get('/api/directory?q=')).status).toBe(400);
  });

  it('in continuity mode: a colleague has the message at once, their Exchange gets it on recovery, the sender a copy back, and the report counts both', async () => {
    const u = await createTestTenant({ mailboxes: ['ann', 'ben'], upstreams: [{ host: '127.0.0.1', port: exchange.port }] });
    await transition(worker.app, u.id, 'normal', 'active');
    const ann = clientFor(web.url, employeeOf(u.id, u.mailboxes.ann));
    const outside = `${uniqueLabel('partner')}@${dest}`;
    const d = await ann.post('/api/drafts', { to: [{ name: 'Ben', address: u.mailboxes.ben.address }], cc: [{ address: outside }], subject: 'during the outage', text: 'Exchange is down, webmail works.' });
    const sent = await ann.post(`/api/drafts/${d.body.id}/send`);
    expect(sent.status).toBe(202);
    const [msg] = await rows(`SELECT id FROM messages WHERE queue_id = $1`, [sent.body.queueId]);
    // ben's standby Inbox has it now; his Exchange copy waits; no copy back yet
    expect(await rows(`SELECT mailbox_id, folder FROM mirror_entries WHERE message_id = $1 ORDER BY folder`, [msg.id])).toEqual([
      { mailbox_id: u.mailboxes.ben.id, folder: 'inbox' },
      { mailbox_id: u.mailboxes.ann.id, folder: 'sent' },
    ]);
    expect(await rows(`SELECT recipient, route_kind, state, purpose FROM deliveries WHERE message_id = $1 AND route_kind = 'upstream'`, [msg.id])).toEqual([
      { recipient: u.mailboxes.ben.address, route_kind: 'upstream', state: 'held', purpose: 'recipient' },
    ]);
    // the internet recipient is not held
    await waitFor(async () => (await internetMx.received()).find((r) => r.rcptTo.includes(outside)), { timeoutMs: 30000, what: 'the partner copy at the internet MX' });
    const atExchange = async () => (await exchange.received()).filter((r) => r.raw.toString().includes(sent.body.messageIdHeader));
    expect(await atExchange()).toEqual([]);

    await transition(worker.app, u.id, 'active', 'recovering');
    await waitFor(async () => (await modeOf(u.id)) === 'normal', { timeoutMs: 30000, what: 'the replay to finish' });
    const got = await waitFor(async () => {
      const g = await atExchange();
      return g.length === 2 ? g : null;
    }, { timeoutMs: 30000, what: 'the replayed message and the copy back at Exchange' });
    expect(got.map((g) => g.rcptTo).sort()).toEqual([[u.mailboxes.ann.address], [u.mailboxes.ben.address]]);
    expect(got.find((g) => g.rcptTo[0] === u.mailboxes.ann.address)?.raw.toString()).toMatch(/^X-Mailer: Mail continuity webmail/m);

    const report = await waitFor(async () => {
      const r = await worker.app.get(ReconciliationService).report(u.id);
      return r.allAccountedFor ? r : null;
    }, { what: 'a settled reconciliation report' });
    const of = (address: string) => report.mailboxes.find((x) => x.mailbox === address);
    expect(of(u.mailboxes.ann.address)).toMatchObject({ sentDuringEvent: 1, copiedBack: 1, failed: 0, pending: 0 });
    expect(of(u.mailboxes.ben.address)).toMatchObject({ receivedDuringEvent: 1, replayed: 1, pending: 0 });
    expect(report.totals).toMatchObject({ sentDuringEvent: 1, copiedBack: 1, replayed: 1, failed: 0 });
  });
});
