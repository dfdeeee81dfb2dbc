import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import selfsigned from 'selfsigned';
import { FsBlobStore } from '../../../libs/blob-store/src';
import { addAlias, addGroup, createTestTenant, TestTenant, uniqueLabel, withDb } from '../../support/factories';
import { countRows, messageByQueueId, openTransaction, queueIdsOf, RawSmtp, sendRaw, startTestMx } from './mx-harness';
import type { RunningMx } from '../../../apps/mx/src/mx.bootstrap';

jest.setTimeout(30000);

const MAX_BYTES = 1_500_000;
const store = () => new FsBlobStore(join(process.env.DATA_DIR as string, 'blobs'));

async function readBlob(key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of store().openRead(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Splits a stored blob into our Received header and the bytes the client sent. */
function splitReceived(blob: Buffer): { header: string; rest: Buffer } {
  const s = blob.toString('latin1');
  const m = /^Received: [^\r\n]*\r\n(?:\t[^\r\n]*\r\n)*/.exec(s);
  if (!m) throw new Error(`blob does not start with our Received header: ${JSON.stringify(s.slice(0, 200))}`);
  return { header: m[0], rest: blob.subarray(Buffer.byteLength(m[0], 'latin1')) };
}

/** DATA over a raw socket: the caller's bytes (already dot-stuffed, ending in CRLF), then `.`. */
async function rawData(c: RawSmtp, bytes: Buffer | string): Promise<string> {
  const r = await c.cmd('DATA');
  if (!r.startsWith('354')) return r;
  c.write(bytes);
  c.write('.\r\n');
  return c.reply();
}

const simple = (subject: string, body = 'Hello.\r\n') =>
  `From: Sender <sender@external.example>\r\nTo: someone@customer.example\r\nSubject: ${subject}\r\nMessage-ID: <${uniqueLabel('m')}@external.example>\r\n\r\n${body}`;

describe('MX ingress', () => {
  let mx: RunningMx;
  let t: TestTenant;

  beforeAll(async () => {
    mx = await startTestMx({ MX_MAX_RECIPIENTS: '5', MX_MAX_MESSAGE_BYTES: String(MAX_BYTES) });
    t = await createTestTenant({ mailboxes: ['alice', 'bob', 'carol', 'dave'], deliveryLifetimeSeconds: 7200 });
  });
  afterAll(async () => {
    await mx?.stop();
  });

  it('stores a message to three mailboxes as one message, three deliveries, three mirror entries and one blob', async () => {
    const raw = simple('three mailboxes');
    const to = ['alice', 'bob', 'carol'].map((l) => t.mailboxes[l].address);
    const before = Date.now();
    const res = await sendRaw(mx.smtpPort, 'sender@external.example', to, raw);
    expect(res.response).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]{16}$/);
    const [qid] = queueIdsOf(res.response);
    const msg = await messageByQueueId(qid);
    expect(msg).toMatchObject({ tenant_id: t.id, mail_from: 'sender@external.example', rcpt_to: to, client_address: '127.0.0.1', client_helo: 'client.test.example', blob_key: `${t.id}/${qid}` });
    const deliveries = await withDb(async (db) => (await db.query(`SELECT * FROM deliveries WHERE message_id = $1 ORDER BY recipient`, [msg!.id])).rows);
    expect(deliveries.map((d) => d.recipient)).toEqual([...to].sort());
    for (const d of deliveries) {
      expect(d).toMatchObject({ tenant_id: t.id, route_kind: 'upstream', state: 'queued', attempts: 0 });
      const life = (d.expires_at.getTime() - d.next_attempt_at.getTime()) / 1000;
      expect(life).toBeCloseTo(7200, 0);
      expect(d.next_attempt_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
    }
    const mirrors = await withDb(async (db) => (await db.query(`SELECT mailbox_id, folder FROM mirror_entries WHERE message_id = $1`, [msg!.id])).rows);
    expect(mirrors.map((m) => m.mailbox_id).sort()).toEqual(['alice', 'bob', 'carol'].map((l) => t.mailboxes[l].id).sort());
    expect(mirrors.every((m) => m.folder === 'inbox')).toBe(true);

    const blob = await readBlob(msg!.blob_key);
    const { header, rest } = splitReceived(blob);
    expect(rest.equals(Buffer.from(raw))).toBe(true);
    expect(Number(msg!.size_bytes)).toBe(blob.length);
    expect(header).toMatch(new RegExp(`^Received: from client\\.test\\.example \\(\\[127\\.0\\.0\\.1\\]\\)\\r\\n\\tby mx\\.test\\.example with ESMTP id ${qid}; \\w{3}, \\d{2} \\w{3} \\d{4} [\\d:]{8} \\+0000\\r\\n$`));
    const objects = await readdir(join(process.env.DATA_DIR as string, 'blobs', 'objects', t.id, qid.slice(0, 2)));
    expect(objects.filter((o) => o === qid)).toHaveLength(1);
  });

  it('names the single recipient in the Received header and mirrors alias and group recipients to the right mailboxes', async () => {
    await addAlias(t, `sales@${t.domain}`, 'alice');
    await addGroup(t, `team@${t.domain}`, ['bob', 'carol']);
    const one = await sendRaw(mx.smtpPort, 'sender@external.example', [`sales@${t.domain}`], simple('alias'));
    const [q1] = queueIdsOf(one.response);
    const m1 = await messageByQueueId(q1);
    expect(splitReceived(await readBlob(m1!.blob_key)).header).toContain(`\tfor <sales@${t.domain}>; `);
    const mirrors1 = await withDb(async (db) => (await db.query(`SELECT mailbox_id FROM mirror_entries WHERE message_id = $1`, [m1!.id])).rows);
    expect(mirrors1.map((m) => m.mailbox_id)).toEqual([t.mailboxes.alice.id]);

    // bob is reached directly and through the group: one mirror entry for him
    const res = await sendRaw(mx.smtpPort, 'sender@external.example', [`team@${t.domain}`, t.mailboxes.bob.address, `SALES@${t.domain.toUpperCase()}`], simple('group'));
    const [q2] = queueIdsOf(res.response);
    const m2 = await messageByQueueId(q2);
    const mirrors2 = await withDb(async (db) => (await db.query(`SELECT mailbox_id FROM mirror_entries WHERE message_id = $1`, [m2!.id])).rows);
    expect(mirrors2.map((m) => m.mailbox_id).sort()).toEqual([t.mailboxes.alice.id, t.mailboxes.bob.id, t.mailboxes.carol.id].sort());
    const recipients = await withDb(async (db) => (await db.query(`SELECT recipient FROM deliveries WHERE message_id = $1 ORDER BY recipient`, [m2!.id])).rows.map((r) => r.recipient));
    expect(recipients).toEqual([`SALES@${t.domain}`, t.mailboxes.bob.address, `team@${t.domain}`].sort());
  });

  it('splits a transaction for two tenants into one message per tenant, each with its own queue id and blob', async () => {
    const other = await createTestTenant({ mailboxes: ['erin'] });
    const raw = simple('two tenants');
    const res = await sendRaw(mx.smtpPort, 'sender@external.example', [t.mailboxes.dave.address, other.mailboxes.erin.address, t.mailboxes.alice.address], raw);
    const qids = queueIdsOf(res.response);
    expect(res.response).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]{16} [0-9A-Z]{16}$/);
    const msgs = await Promise.all(qids.map((q) => messageByQueueId(q)));
    const mine = msgs.find((m) => m!.tenant_id === t.id)!;
    const theirs = msgs.find((m) => m!.tenant_id === other.id)!;
    expect(mine.rcpt_to).toEqual([t.mailboxes.dave.address, t.mailboxes.alice.address]);
    expect(theirs.rcpt_to).toEqual([other.mailboxes.erin.address]);
    for (const m of [mine, theirs]) {
      const { header, rest } = splitReceived(await readBlob(m.blob_key));
      expect(header).toContain(` id ${m.queue_id}`);
      expect(rest.equals(Buffer.from(raw))).toBe(true);
    }
    expect(splitReceived(await readBlob(theirs.blob_key)).header).toContain(`for <${other.mailboxes.erin.address}>`);
    expect(await countRows(`SELECT 1 FROM deliveries WHERE message_id = ANY($1::uuid[])`, [[mine.id, theirs.id]])).toBe(3);
    expect(await countRows(`SELECT 1 FROM mirror_entries WHERE message_id = $1 AND tenant_id = $2`, [theirs.id, other.id])).toBe(1);
  });

  it('refuses unknown and unverified domains with 550 5.7.1 and unknown users with 550 5.1.1', async () => {
    const unverified = await createTestTenant({ verified: false, mailboxes: ['frank'] });
    const c = await RawSmtp.open(mx.smtpPort);
    try {
      expect(await c.reply()).toMatch(/^220 mx\.test\.example ESMTP/);
      const [ehlo, mail] = await openTransaction(c, 'sender@external.example', []);
      expect(ehlo).toMatch(/250-8BITMIME/);
      expect(ehlo).toMatch(/250-SMTPUTF8/);
      expect(ehlo).toMatch(/250-STARTTLS/);
      expect(ehlo).toMatch(new RegExp(`250[ -]SIZE ${MAX_BYTES}`));
      expect(mail).toMatch(/^250/);
      expect(await c.cmd('RCPT TO:<someone@nowhere.example>')).toMatch(/^550 5\.7\.1 /);
      expect(await c.cmd(`RCPT TO:<${unverified.mailboxes.frank.address}>`)).toMatch(/^550 5\.7\.1 /);
      expect(await c.cmd(`RCPT TO:<nobody@${t.domain}>`)).toMatch(new RegExp(`^550 5\\.1\\.1 <nobody@${t.domain.replace(/\./g, '\\.')}>`));
      expect(await c.cmd(`RCPT TO:<Alice@${t.domain.toUpperCase()}>`)).toMatch(/^250/);
    } finally {
      await c.quit();
    }
  });

  it('refuses every open-relay trick', async () => {
    const ours = t.domain;
    const c = await RawSmtp.open(mx.smtpPort);
    try {
      await c.reply();
      await openTransaction(c, 'sender@external.example', []);
      const tries: Array<[string, RegExp]> = [
        [`alice%victim.example@${ours}`, /^550 5\.7\.1 /],
        [`victim.example!alice@${ours}`, /^550 5\.7\.1 /],
        [`"alice@victim.example"@${ours}`, /^5\d\d /], // smtp-server refuses two @ with 501
        [`"alice"@${ours}`, /^550 5\.7\.1 /],
        [`alice@victim.example@${ours}`, /^5\d\d /],
        [`alice@[127.0.0.1]`, /^550 5\.7\.1 /],
        [`alice@[IPv6:::1]`, /^550 5\.7\.1 /],
        [`alice@${ours}.`, /^501 /],
        [`alice.@${ours}`, /^501 /],
        [`alice@victim.example`, /^550 5\.7\.1 /],
        [`@${ours}:victim@victim.example`, /^550 5\.7\.1 /], // route through us to someone else
        ['postmaster', /^550 5\.7\.1 /],
      ];
      for (const [rcpt, expected] of tries) {
        const reply = await c.cmd(`RCPT TO:<${rcpt}>`);
        expect(`${rcpt} → ${reply}`).toMatch(new RegExp(`→ ${expected.source.slice(1)}`));
      }
    } finally {
      await c.quit();
    }
  });

  it('ignores a source route as RFC 5321 requires: <@relay:user@ours> reaches user@ours only, never the relay', async () => {
    const c = await RawSmtp.open(mx.smtpPort);
    try {
      await c.reply();
      const replies = await openTransaction(c, 'sender@external.example', [`@relay.victim.example:${t.mailboxes.alice.address}`]);
      expect(replies[2]).toMatch(/^250/);
      const reply = await rawData(c, simple('source route'));
      const m = await messageByQueueId(queueIdsOf(reply)[0]);
      expect(m!.rcpt_to).toEqual([t.mailboxes.alice.address]);
    } finally {
      await c.quit();
    }
  });

  it('checks MAIL FROM syntax and allows the null sender', async () => {
    const c = await RawSmtp.open(mx.smtpPort);
    try {
      await c.reply();
      await c.cmd('EHLO client.test.example');
      expect(await c.cmd('MAIL FROM:<no-domain>')).toMatch(/^501 /);
      expect(await c.cmd('MAIL FROM:<>')).toMatch(/^250/);
      expect(await c.cmd(`RCPT TO:<${t.mailboxes.alice.address}>`)).toMatch(/^250/);
      const reply = await rawData(c, simple('from null sender'));
      expect(reply).toMatch(/^250 2\.0\.0/);
      expect((await messageByQueueId(queueIdsOf(reply)[0]))!.mail_from).toBe('');
    } finally {
      await c.quit();
    }
  });

  it('answers 452 4.5.3 past MX_MAX_RECIPIENTS and still delivers to the recipients it took', async () => {
    const c = await RawSmtp.open(mx.smtpPort);
    try {
      await c.reply();
      await openTransaction(c, 'sender@external.example', []);
      const addrs = [t.mailboxes.alice.address, t.mailboxes.bob.address, t.mailboxes.carol.address, t.mailboxes.dave.address, `sales@${t.domain}`];
      for (const a of addrs) expect(await c.cmd(`RCPT TO:<${a}>`)).toMatch(/^250/);
      expect(await c.cmd(`RCPT TO:<team@${t.domain}>`)).toMatch(/^452 4\.5\.3 /);
      expect(await c.cmd(`RCPT TO:<${t.mailboxes.alice.address}>`)).toMatch(/^250/); // a repeat is not one more
      const reply = await rawData(c, simple('five recipients'));
      expect((await messageByQueueId(queueIdsOf(reply)[0]))!.rcpt_to).toHaveLength(5);
    } finally {
      await c.quit();
    }
  });

  it('refuses a declared SIZE over the limit and answers 552 5.3.4 after reading an oversize message to the end, keeping nothing', async () => {
    const tenant = await createTestTenant({ mailboxes: ['big'] });
    const c = await RawSmtp.open(mx.smtpPort);
    try {
      await c.reply();
      await c.cmd('EHLO client.test.example');
      expect(await c.cmd(`MAIL FROM:<sender@external.example> SIZE=${MAX_BYTES + 1}`)).toMatch(/^552 /);
      expect(await c.cmd('MAIL FROM:<sender@external.example>')).toMatch(/^250/);
      expect(await c.cmd(`RCPT TO:<${tenant.mailboxes.big.address}>`)).toMatch(/^250/);
      const line = 'x'.repeat(998) + '\r\n';
      const body = simple('too big', line.repeat(Math.ceil((MAX_BYTES + 100_000) / line.length)));
      const reply = await rawData(c, body);
      expect(reply).toMatch(/^552 5\.3\.4 /);
      // the session goes on
      expect(await c.cmd('RSET')).toMatch(/^250/);
    } finally {
      await c.quit();
    }
    expect(await countRows(`SELECT 1 FROM messages WHERE tenant_id = $1`, [tenant.id])).toBe(0);
    const objects = await readdir(join(process.env.DATA_DIR as string, 'blobs', 'objects', tenant.id)).catch(() => []);
    expect(objects).toEqual([]);
  });

  it('accepts malformed MIME, NUL bytes, 8-bit data and a 1 MB header byte-exact, recording BODY=8BITMIME and SMTPUTF8', async () => {
    const cases: Array<{ name: string; data: Buffer; mailArgs?: string; eightBit?: boolean; utf8?: boolean }> = [
      { name: 'broken MIME', data: readFileSync(join(__dirname, '../../fixtures/mx/broken-mime.eml')) },
      { name: '8-bit UTF-8', data: readFileSync(join(__dirname, '../../fixtures/mx/utf8-8bit.eml')), mailArgs: ' BODY=8BITMIME SMTPUTF8', eightBit: true, utf8: true },
      { name: 'NUL bytes', data: Buffer.from('Subject: nul\r\n\r\nbefore\x00after\x00\x00\r\n\x00\r\n', 'latin1') },
      { name: '1 MB header', data: Buffer.from(`X-Huge: ${'h'.repeat(1024 * 1024)}\r\nSubject: huge header\r\n\r\nbody\r\n`) },
    ];
    for (const k of cases) {
      const c = await RawSmtp.open(mx.smtpPort);
      try {
        await c.reply();
        await c.cmd('EHLO client.test.example');
        expect(await c.cmd(`MAIL FROM:<sender@external.example>${k.mailArgs ?? ''}`)).toMatch(/^250/);
        expect(await c.cmd(`RCPT TO:<${t.mailboxes.alice.address}>`)).toMatch(/^250/);
        const reply = await rawData(c, k.data);
        expect(`${k.name}: ${reply}`).toMatch(/: 250 2\.0\.0 /);
        const m = await messageByQueueId(queueIdsOf(reply)[0]);
        expect(splitReceived(await readBlob(m!.blob_key)).rest.equals(k.data)).toBe(true);
        expect({ name: k.name, eight: m!.body_8bitmime, utf8: m!.smtputf8 }).toEqual({ name: k.name, eight: !!k.eightBit, utf8: !!k.utf8 });
        if (k.utf8) expect(splitReceived(await readBlob(m!.blob_key)).header).toContain(' with UTF8SMTP id ');
      } finally {
        await c.quit();
      }
    }
  });

  it('keeps <LF>.<LF>, <CR>.<CR> and <LF>.<CR><LF> inside the one message: no second message is smuggled', async () => {
    const tenant = await createTestTenant({ mailboxes: ['target', 'victim'] });
    const smuggled = (end: string) => `${end}MAIL FROM:<attacker@evil.example>\r\nRCPT TO:<${tenant.mailboxes.victim.address}>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled body\r\n`;
    for (const end of ['\n.\n', '\r.\r', '\n.\r\n', '\r\n.\n', '\r.\r\n']) {
      const c = await RawSmtp.open(mx.smtpPort);
      try {
        await c.reply();
        await openTransaction(c, 'sender@external.example', [tenant.mailboxes.target.address]);
        const data = Buffer.from(`Subject: carrier\r\n\r\nfirst part${smuggled(end)}`);
        const reply = await rawData(c, data);
        expect(reply).toMatch(/^250 2\.0\.0 /);
        // the next reply belongs to our QUIT: nothing answered smuggled commands
        expect(await c.cmd('QUIT')).toMatch(/^221/);
        const m = await messageByQueueId(queueIdsOf(reply)[0]);
        expect(splitReceived(await readBlob(m!.blob_key)).rest.equals(data)).toBe(true);
      } finally {
        c.destroy();
      }
    }
    expect(await countRows(`SELECT 1 FROM messages WHERE tenant_id = $1`, [tenant.id])).toBe(5);
    expect(await countRows(`SELECT 1 FROM deliveries WHERE tenant_id = $1 AND recipient = $2`, [tenant.id, tenant.mailboxes.victim.address])).toBe(0);
  });

  it('offers STARTTLS with the generated certificate and records ESMTPS', async () => {
    const c = await RawSmtp.open(mx.smtpPort);
    try {
      await c.reply();
      await c.cmd('EHLO client.test.example');
      const secure = await c.starttls();
      expect(secure.getPeerCertificate().subject.CN).toBe('mx.test.example');
      const ehlo = await c.cmd('EHLO client.test.example');
      expect(ehlo).not.toMatch(/STARTTLS/);
      expect(await c.cmd('MAIL FROM:<sender@external.example>')).toMatch(/^250/);
      expect(await c.cmd(`RCPT TO:<${t.mailboxes.bob.address}>`)).toMatch(/^250/);
      const reply = await rawData(c, simple('over TLS'));
      const m = await messageByQueueId(queueIdsOf(reply)[0]);
      expect(splitReceived(await readBlob(m!.blob_key)).header).toMatch(/ with ESMTPS \(TLSv1\.[23]:[A-Z0-9_-]+\) id /);
    } finally {
      await c.quit();
    }
  });

  it('counts acceptances and refusals in /metrics and is ready', async () => {
    const ready = await fetch(`http://127.0.0.1:${mx.httpPort}/health/ready`);
    expect(ready.status).toBe(200);
    const text = await (await fetch(`http://127.0.0.1:${mx.httpPort}/metrics`)).text();
    expect(text).toMatch(/mc_messages_accepted_total\{[^}]*direction="inbound"[^}]*\} [1-9]/);
    expect(text).toMatch(/mc_smtp_rejected_total\{[^}]*reason="relay_denied"[^}]*\} [1-9]/);
    expect(text).toMatch(/mc_smtp_rejected_total\{[^}]*reason="message_too_big"[^}]*\} [1-9]/);
    expect(text).toMatch(/mc_accept_seconds_count\{[^}]*\} [1-9]/);
  });
});

describe('MX RCPT callout for pass-through tenants', () => {
  let mx: RunningMx;
  let upstream: SMTPServer;
  let tlsUpstream: SMTPServer;
  let dataSeen = 0;
  const asked: string[] = [];

  function fakeExchange(opts: { key?: string; cert?: string }): Promise<{ server: SMTPServer; port: number }> {
    const server = new SMTPServer({
      ...opts,
      authOptional: true,
      disabledCommands: ['AUTH'],
      hideSTARTTLS: !opts.cert,
      logger: false,
      onRcptTo(address, _s, cb) {
        asked.push(address.address);
        if (address.address.startsWith('known')) return cb();
        cb(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }));
      },
      onData(stream, _s, cb) {
        dataSeen++;
        stream.resume();
        stream.on('end', () => cb());
      },
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.server.address() as { port: number }).port })));
  }

  beforeAll(async () => {
    mx = await startTestMx();
    const plain = await fakeExchange({});
    upstream = plain.server;
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'exchange.customer.example' }], { keyType: 'ec', curve: 'P-256' });
    const secure = await fakeExchange({ key: pems.private, cert: pems.cert });
    tlsUpstream = secure.server;
    (globalThis as Record<string, unknown>).__ports = { plain: plain.port, secure: secure.port, pem: pems.cert };
  });
  afterAll(async () => {
    await mx?.stop();
    await new Promise<void>((r) => upstream.close(() => r()));
    await new Promise<void>((r) => tlsUpstream.close(() => r()));
  });
  const ports = () => (globalThis as Record<string, unknown>).__ports as { plain: number; secure: number; pem: string };

  it('accepts what the upstream accepts, refuses what it refuses, never sends it DATA, and records no mirror entry', async () => {
    // the first upstream is down: failover to the next in priority order
    const dead = await import('../../support/processes').then((m) => m.freePort());
    const t = await createTestTenant({ unknownRecipientPolicy: 'passthrough', mailboxes: ['staff'], upstreams: [{ host: '127.0.0.1', port: dead, priority: 1 }, { host: '127.0.0.1', port: ports().plain, priority: 5 }] });
    const c = await RawSmtp.open(mx.smtpPort);
    let reply: string;
    try {
      await c.reply();
      await openTransaction(c, 'sender@external.example', []);
      expect(await c.cmd(`RCPT TO:<known.person@${t.domain}>`)).toMatch(/^250/);
      expect(await c.cmd(`RCPT TO:<stranger@${t.domain}>`)).toMatch(/^550 5\.1\.1 /);
      expect(await c.cmd(`RCPT TO:<${t.mailboxes.staff.address}>`)).toMatch(/^250/); // provisioned: no callout
      reply = await rawData(c, simple('pass-through'));
      expect(reply).toMatch(/^250 2\.0\.0 /);
    } finally {
      await c.quit();
    }
    expect(asked).toEqual([`known.person@${t.domain}`, `stranger@${t.domain}`]);
    expect(dataSeen).toBe(0);
    const m = await messageByQueueId(queueIdsOf(reply)[0]);
    expect(m!.rcpt_to).toEqual([`known.person@${t.domain}`, t.mailboxes.staff.address]);
    expect(await countRows(`SELECT 1 FROM deliveries WHERE message_id = $1`, [m!.id])).toBe(2);
    const mirrors = await withDb(async (db) => (await db.query(`SELECT mailbox_id FROM mirror_entries WHERE message_id = $1`, [m!.id])).rows);
    expect(mirrors.map((r) => r.mailbox_id)).toEqual([t.mailboxes.staff.id]);

    // a second RCPT for the same address is answered from the cache
    const c2 = await RawSmtp.open(mx.smtpPort);
    try {
      await c2.reply();
      await openTransaction(c2, 'sender@external.example', []);
      expect(await c2.cmd(`RCPT TO:<Known.Person@${t.domain}>`)).toMatch(/^250/);
    } finally {
      await c2.quit();
    }
    expect(asked).toHaveLength(2);
  });

  it('answers 451 4.4.3 when no upstream can be asked', async () => {
    const dead = await import('../../support/processes').then((m) => m.freePort());
    const t = await createTestTenant({ unknownRecipientPolicy: 'passthrough', upstreams: [{ host: '127.0.0.1', port: dead }] });
    const c = await RawSmtp.open(mx.smtpPort);
    try {
      await c.reply();
      await openTransaction(c, 'sender@external.example', []);
      expect(await c.cmd(`RCPT TO:<anyone@${t.domain}>`)).toMatch(/^451 4\.4\.3 /);
    } finally {
      await c.quit();
    }
  });

  it('honours a pinned-certificate TLS policy, and refuses to trust any other certificate', async () => {
    const other = await selfsigned.generate([{ name: 'commonName', value: 'exchange.customer.example' }], { keyType: 'ec', curve: 'P-256' });
    const good = await createTestTenant({ unknownRecipientPolicy: 'passthrough', upstreams: [{ host: '127.0.0.1', port: ports().secure, tlsPolicy: 'pinned', pinnedCertPem: ports().pem }] });
    const bad = await createTestTenant({ unknownRecipientPolicy: 'passthrough', upstreams: [{ host: '127.0.0.1', port: ports().secure, tlsPolicy: 'pinned', pinnedCertPem: other.cert }] });
    const plainOnly = await createTestTenant({ unknownRecipientPolicy: 'passthrough', upstreams: [{ host: '127.0.0.1', port: ports().plain, tlsPolicy: 'verify' }] });
    const c = await RawSmtp.open(mx.smtpPort);
    try {
      await c.reply();
      await openTransaction(c, 'sender@external.example', []);
      expect(await c.cmd(`RCPT TO:<known@${good.domain}>`)).toMatch(/^250/);
      expect(await c.cmd(`RCPT TO:<known@${bad.domain}>`)).toMatch(/^451 4\.4\.3 /);
      expect(await c.cmd(`RCPT TO:<known@${plainOnly.domain}>`)).toMatch(/^451 4\.4\.3 /); // no STARTTLS offered: not asked in clear
    } finally {
      await c.quit();
    }
  });
});
