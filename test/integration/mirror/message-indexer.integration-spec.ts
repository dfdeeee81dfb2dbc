import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '@app/config';
import { createDataSource } from '@app/database';
import { FsBlobStore } from '@app/blob-store';
import { createLogger, Metrics } from '@app/observability';
import { MessageIndexer, mirrorSearchTsQuery } from '@app/mirror';
import { createTestTenant, insertTestMessage, TestTenant, withDb } from '../../support/factories';

const FIXTURES = join(__dirname, '../../fixtures/mime');
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const crlf = (s: string): Buffer => Buffer.from(s.replace(/\r?\n/g, '\r\n'));

describe('MessageIndexer', () => {
  let cfg: AppConfig;
  let ds: DataSource;
  let store: FsBlobStore;
  let metrics: Metrics;
  let indexer: MessageIndexer;
  let tenant: TestTenant;

  beforeAll(async () => {
    cfg = loadConfig();
    ds = await createDataSource({ ...cfg, DATABASE_POOL_SIZE: 4 }, 'test-indexer').initialize();
    store = new FsBlobStore(join(process.env.DATA_DIR as string, 'blobs'));
    metrics = new Metrics('test');
    indexer = new MessageIndexer(ds, store, metrics, createLogger('test', 'silent'), cfg);
    tenant = await createTestTenant({ mailboxes: ['max'] });
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  async function ingest(raw: Buffer, receivedAt?: Date) {
    return insertTestMessage(tenant, { raw, recipients: [tenant.mailboxes.max.address], mirrorMailboxIds: [tenant.mailboxes.max.id], receivedAt });
  }

  async function row(messageId: string) {
    return withDb(async (db) => (await db.query(`SELECT * FROM messages WHERE id = $1`, [messageId])).rows[0]);
  }

  async function indexFixture(name: string) {
    const m = await ingest(fixture(name));
    await indexer.index({ messageId: m.messageId, tenantId: tenant.id });
    return { ...m, row: await row(m.messageId) };
  }

  it('indexes multipart/alternative: addresses, subject, date, ids, snippet from the text part', async () => {
    const { row: r } = await indexFixture('multipart-alternative.eml');
    expect(r.index_state).toBe('indexed');
    expect(r.index_error).toBeNull();
    expect(r.indexed_at).toBeInstanceOf(Date);
    expect(r.from_addr).toEqual([{ name: 'Anna Schmidt', address: 'anna.schmidt@lieferant.example' }]);
    expect(r.to_addr).toEqual([{ name: 'Max Mustermann', address: 'max@kunde.example' }, { name: '', address: 'bob@kunde.example' }]);
    expect(r.cc_addr).toEqual([{ name: 'Buchhaltung', address: 'buchhaltung@kunde.example' }]);
    expect(r.subject).toBe('Ihre Rechnung für März');
    expect(r.header_date.toISOString()).toBe('2025-03-04T09:15:00.000Z');
    expect(r.message_id_header).toBe('<alt-1@lieferant.example>');
    expect(r.in_reply_to).toBeNull();
    expect(r.references_ids).toEqual([]);
    expect(r.snippet).toMatch(/^Guten Tag Herr Mustermann, anbei erhalten Sie die Rechnung für März\./);
    expect(r.snippet).not.toContain('<');
    expect(r.attachments).toEqual([]);
    expect(r.body_text).toContain('überweisen');
    expect(r.search_vector).toBeTruthy();
  });

  it('lists attachments with sizes counted from their streams, the cid image as inline', async () => {
    const { row: r } = await indexFixture('attachments.eml');
    expect(r.attachments).toEqual([
      { filename: 'logo.png', contentType: 'image/png', size: 116, contentId: '<logo123@vendor.example>', inline: true },
      { filename: 'report-2025-03.pdf', contentType: 'application/pdf', size: 3088, contentId: null, inline: false },
    ]);
    expect(r.snippet).toBe('Please find the report attached.');
  });

  it('decodes odd charsets and encoded words', async () => {
    const latin1 = (await indexFixture('iso-8859-1.eml')).row;
    expect(latin1.subject).toBe('Lieferbestätigung für Größe XL');
    expect(latin1.from_addr).toEqual([{ name: 'Jörg Müller', address: 'joerg@lieferant.example' }]);
    expect(latin1.snippet).toContain('Grüße aus München!');

    const cp1252 = (await indexFixture('windows-1252.eml')).row;
    expect(cp1252.subject).toBe('Preis: 49€ „inklusive“');
    expect(cp1252.snippet).toBe('Der Preis beträgt 49€ „inklusive“ Versand – danke.');

    const jp = (await indexFixture('iso-2022-jp.eml')).row;
    expect(jp.subject).toBe('会議の議事録');
    expect(jp.from_addr).toEqual([{ name: '山田太郎', address: 'yamada@tokyo.example' }]);
    expect(jp.body_text).toContain('明日の会議の議事録を送ります。');

    const utf8 = (await indexFixture('smtputf8.eml')).row;
    expect(utf8.subject).toBe('Grüße aus Köln ☕');
    expect(utf8.from_addr).toEqual([{ name: 'Jörg Bäcker', address: 'jörg@bücher.example' }]);
    expect(utf8.to_addr).toEqual([{ name: 'Zoë', address: 'zoë@kunde.example' }]);
    expect(utf8.message_id_header).toBe('<utf8-1@bücher.example>');
  });

  it('takes the snippet from the HTML when there is no text part', async () => {
    const { row: r } = await indexFixture('html-only.eml');
    expect(r.snippet).toMatch(/Spring sale/i);
    expect(r.snippet).toContain('Everything reduced & shipped free.');
    expect(r.snippet).not.toMatch(/track\(\)|color/);
  });

  it('keeps In-Reply-To and References of a reply, and leaves quoted text out of the snippet', async () => {
    const { row: r } = await indexFixture('reply.eml');
    expect(r.in_reply_to).toBe('<alt-1@lieferant.example>');
    expect(r.references_ids).toEqual(['<root-0@lieferant.example>', '<alt-1@lieferant.example>']);
    expect(r.snippet).toBe('Danke, ist angekommen.');
  });

  it('drops a header date from the future and an unreadable one', async () => {
    expect((await indexFixture('future-date.eml')).row.header_date).toBeNull();
    const odd = (await indexFixture('invalid-header-lines.eml')).row;
    expect(odd.index_state).toBe('indexed');
    expect(odd.header_date).toBeNull();
    expect(odd.message_id_header).toBe('<broken-3@broken.example>');
    expect(odd.snippet).toBe('Body after odd headers.');
  });

  it('stores a message with NUL bytes without them', async () => {
    const { row: r } = await indexFixture('nul-bytes.eml');
    expect(r.index_state).toBe('indexed');
    expect(r.subject).toBe('NULinside');
    expect(r.body_text).not.toContain('\u0000');
    expect(r.snippet).toBe('body with a NUL byte and Rechnungsnummer');
  });

  it('indexes broken MIME best-effort and leaves the raw blob and deliveries untouched', async () => {
    for (const name of ['broken-missing-boundary.eml', 'broken-no-boundary.eml']) {
      const raw = fixture(name);
      const { row: r, blobKey, messageId } = await indexFixture(name);
      expect(r.index_state).toBe('indexed');
      expect(r.subject).toBeTruthy();
      expect(await readFile(store.pathOf(blobKey))).toEqual(raw);
      const d = await withDb((db) => db.query(`SELECT state FROM deliveries WHERE message_id = $1`, [messageId]));
      expect(d.rows.map((x) => x.state)).toEqual(['queued']);
    }
    const missing = (await indexFixture('broken-missing-boundary.eml')).row;
    expect(missing.snippet).toBe('The visible part of a broken message.');
    expect(missing.attachments).toEqual([expect.objectContaining({ filename: 'bad.pdf', contentType: 'application/pdf' })]);
  });

  it('marks input without any header unparseable and keeps it raw', async () => {
    const raw = fixture('not-a-message.eml');
    const { row: r, blobKey } = await indexFixture('not-a-message.eml');
    expect(r.index_state).toBe('unparseable');
    expect(r.index_error).toMatch(/no message headers/);
    expect(r.indexed_at).toBeInstanceOf(Date);
    expect(r.subject).toBeNull();
    expect(createHash('sha256').update(await readFile(store.pathOf(blobKey))).digest('hex')).toBe(createHash('sha256').update(raw).digest('hex'));
  });

  it('indexes a message with a 1 MB header, and marks a header block beyond the parser limit unparseable', async () => {
    const fold = Array.from({ length: 15_000 }, (_, i) => ` part-${i}-${'x'.repeat(60)}`).join('\r\n');
    const oneMb = crlf(`From: big@head.example\nTo: max@kunde.example\nSubject: huge header\nX-Huge:${fold}\n\nsmall body\n`);
    expect(oneMb.length).toBeGreaterThan(1024 * 1024);
    const a = await ingest(oneMb);
    await indexer.index({ messageId: a.messageId, tenantId: tenant.id });
    const ra = await row(a.messageId);
    expect(ra.index_state).toBe('indexed');
    expect(ra.subject).toBe('huge header');
    expect(ra.snippet).toBe('small body');

    const threeMb = crlf(`From: big@head.example\nSubject: too big\nX-Huge: ${'y'.repeat(3 * 1024 * 1024)}\n\nbody\n`);
    const b = await ingest(threeMb);
    await indexer.index({ messageId: b.messageId, tenantId: tenant.id });
    const rb = await row(b.messageId);
    expect(rb.index_state).toBe('unparseable');
    expect(rb.index_error).toMatch(/header/i);
    expect((await store.stat(b.blobKey))?.size).toBe(threeMb.length);
  });

  it('counts a large attachment by streaming it', async () => {
    const payload = Buffer.alloc(6 * 1024 * 1024, 0x5a);
    const b64 = payload.toString('base64').replace(/(.{76})/g, '$1\r\n');
    const raw = Buffer.concat([
      crlf('From: a@x.example\nSubject: big attachment\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nsee attached\n--B\nContent-Type: application/zip\nContent-Disposition: attachment; filename="big.zip"\nContent-Transfer-Encoding: base64\n\n'),
      Buffer.from(b64),
      crlf('\n--B--\n'),
    ]);
    const m = await ingest(raw);
    await indexer.index({ messageId: m.messageId, tenantId: tenant.id });
    expect((await row(m.messageId)).attachments).toEqual([{ filename: 'big.zip', contentType: 'application/zip', size: payload.length, contentId: null, inline: false }]);
  });

  it('indexes only the headers of a message above the parse limit', async () => {
    const small = new MessageIndexer(ds, store, metrics, createLogger('test', 'silent'), { ...cfg, INDEX_MAX_PARSE_BYTES: 1024 });
    const m = await ingest(crlf(`From: Big <big@x.example>\nSubject: too large to parse\n\n${'lorem ipsum '.repeat(1000)}\n`));
    await small.index({ messageId: m.messageId, tenantId: tenant.id });
    const r = await row(m.messageId);
    expect(r.index_state).toBe('indexed');
    expect(r.index_error).toMatch(/only headers/);
    expect(r.subject).toBe('too large to parse');
    expect(r.body_text).toBeNull();
    expect(r.attachments).toBeNull();
  });

  it('is safe to run twice, and observes mirror lag only the first time', async () => {
    const lagCount = async () => (await metrics.mirrorLag.get()).values.find((v) => v.metricName === 'mc_mirror_lag_seconds_count')?.value ?? 0;
    const before = await lagCount();
    const m = await ingest(fixture('reply.eml'));
    await indexer.index({ messageId: m.messageId, tenantId: tenant.id });
    const first = await row(m.messageId);
    await indexer.index({ messageId: m.messageId, tenantId: tenant.id });
    const second = await row(m.messageId);
    const { indexed_at: _a, ...restFirst } = first;
    const { indexed_at: _b, ...restSecond } = second;
    expect(restSecond).toEqual(restFirst);
    expect(await lagCount()).toBe(before + 1);
  });

  it('does nothing for a message that no longer exists or belongs to another tenant', async () => {
    const other = await createTestTenant({ mailboxes: ['x'] });
    const m = await ingest(fixture('reply.eml'));
    await indexer.index({ messageId: m.messageId, tenantId: other.id });
    expect((await row(m.messageId)).index_state).toBe('pending');
    await expect(indexer.index({ messageId: '00000000-0000-0000-0000-000000000000', tenantId: tenant.id })).resolves.toBeUndefined();
  });

  it('throws (so the job retries) when the blob cannot be read', async () => {
    const m = await ingest(fixture('reply.eml'));
    await store.delete(m.blobKey);
    await expect(indexer.index({ messageId: m.messageId, tenantId: tenant.id })).rejects.toThrow(/reading the message failed/);
    expect((await row(m.messageId)).index_state).toBe('pending');
  });

  describe('full-text search', () => {
    let search: (q: string) => Promise<string[]>;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      const t = await createTestTenant({ mailboxes: ['max'] });
      for (const name of ['multipart-alternative.eml', 'attachments.eml', 'iso-8859-1.eml', 'html-only.eml']) {
        const m = await insertTestMessage(t, { raw: fixture(name), recipients: [t.mailboxes.max.address], mirrorMailboxIds: [t.mailboxes.max.id] });
        await indexer.index({ messageId: m.messageId, tenantId: t.id });
        ids[name] = m.messageId;
      }
      search = async (q) => {
        const r = await ds.query(`SELECT id FROM messages WHERE tenant_id = $1 AND search_vector @@ ${mirrorSearchTsQuery('$2')} ORDER BY id`, [t.id, q]);
        return r.map((x: { id: string }) => x.id).sort();
      };
    });

    it('finds a German word by another inflection (Rechnungen finds Rechnung)', async () => {
      expect(await search('Rechnungen')).toEqual([ids['multipart-alternative.eml']]);
      expect(await search('Lieferbestätigungen')).toEqual([ids['iso-8859-1.eml']]);
    });

    it('finds an English word by its stem (invoices finds invoice, reports finds report)', async () => {
      expect(await search('invoices')).toEqual([ids['multipart-alternative.eml']]);
      expect(await search('reports')).toEqual([ids['attachments.eml']]);
    });

    it('finds by address, display name and HTML-only body text', async () => {
      expect(await search('anna.schmidt@lieferant.example')).toEqual([ids['multipart-alternative.eml']]);
      expect(await search('Buchhaltung')).toEqual([ids['multipart-alternative.eml']]);
      expect(await search('reduced')).toEqual([ids['html-only.eml']]);
      expect(await search('nothing-matches-this')).toEqual([]);
    });
  });
});
