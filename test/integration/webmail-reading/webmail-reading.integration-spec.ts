import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { FsBlobStore } from '@app/blob-store';
import { createLogger, Metrics } from '@app/observability';
import { MessageIndexer } from '@app/mirror';
import { MailboxViewService, SEARCH_HIT_PROBE, SEARCH_WALK_WINDOW } from '@app/mailbox-view';
import { createTestTenant, insertTestMessage, TestTenant, withDb } from '../../support/factories';
import { EmployeeClient, signInEmployee, startTestWebmail, TestWebmail } from '../../support/webmail';

const HOSTILE = join(__dirname, '../../fixtures/hostile');
const crlf = (s: string): Buffer => Buffer.from(s.replace(/\r?\n/g, '\r\n'));

function mail(h: { from?: string; to: string; subject: string; id: string; inReplyTo?: string; references?: string; date?: string }, body: string): Buffer {
  return crlf(
    [
      `From: ${h.from ?? '"Anna Sender" <anna@partner.example>'}`,
      `To: ${h.to}`,
      `Subject: ${h.subject}`,
      `Date: ${h.date ?? 'Tue, 01 Dec 2026 09:00:00 +0000'}`,
      `Message-ID: <${h.id}>`,
      ...(h.inReplyTo ? [`In-Reply-To: <${h.inReplyTo}>`] : []),
      ...(h.references ? [`References: ${h.references}`] : []),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '',
    ].join('\n'),
  );
}

interface Summary { id: string; mailboxId: string; folder: string; threadId: string; subject: string | null; unread: boolean; hasAttachments: boolean; authWarning: string | null; from: { name: string; address: string } | null }
interface PageBody { items: Summary[]; nextCursor: string | null }

describe('webmail reading', () => {
  let webmail: TestWebmail;
  let indexer: MessageIndexer;
  let ds: DataSource;
  let a: TestTenant;
  let b: TestTenant;
  let sharedId: string;
  let erika: EmployeeClient;
  const entries: Record<string, string> = {};
  const t0 = Date.parse('2026-12-01T09:00:00Z');

  async function store(tenant: TestTenant, name: string, raw: Buffer, mailboxId: string, opts: { folder?: 'inbox' | 'sent'; at?: number } = {}): Promise<string> {
    const receivedAt = new Date(opts.at ?? t0 + Object.keys(entries).length * 60_000);
    const m = await insertTestMessage(tenant, { raw, recipients: ['someone@' + tenant.domain], receivedAt, direction: opts.folder === 'sent' ? 'outbound' : 'inbound', mirrorMailboxIds: [] });
    const e = await withDb((db) =>
      db.query(`INSERT INTO mirror_entries (tenant_id, mailbox_id, message_id, folder, received_at) VALUES ($1,$2,$3,$4,$5) RETURNING id`, [tenant.id, mailboxId, m.messageId, opts.folder ?? 'inbox', receivedAt]),
    );
    await indexer.index({ tenantId: tenant.id, messageId: m.messageId });
    entries[name] = e.rows[0].id;
    return m.messageId;
  }

  const json = async <T>(r: Response, status = 200): Promise<T> => {
    const text = await r.text();
    if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${text}`);
    return JSON.parse(text) as T;
  };

  beforeAll(async () => {
    webmail = await startTestWebmail();
    ds = webmail.app.get(DataSource);
    indexer = new MessageIndexer(ds, new FsBlobStore(join(process.env.DATA_DIR as string, 'blobs')), new Metrics('test'), createLogger('test', 'silent'), webmail.cfg);
    a = await createTestTenant({ mailboxes: ['erika', 'max'] });
    b = await createTestTenant({ mailboxes: ['eve'] });
    sharedId = await withDb(async (db) => {
      const s = await db.query(`INSERT INTO mailboxes (tenant_id, address, display_name, kind) VALUES ($1, $2, 'Team', 'shared') RETURNING id`, [a.id, `team@${a.domain}`]);
      await db.query(`INSERT INTO shared_mailbox_members (tenant_id, shared_mailbox_id, member_mailbox_id) VALUES ($1, $2, $3)`, [a.id, s.rows[0].id, a.mailboxes.erika.id]);
      return s.rows[0].id as string;
    });
    const to = a.mailboxes.erika.address;
    await store(a, 'root', mail({ to, subject: 'Quarterly meetings', id: 'root@partner.example' }, 'The meetings are planned for Monday. Please confirm the agenda.'), a.mailboxes.erika.id);
    await store(a, 'reply', mail({ to, subject: 'Re: Quarterly meetings', id: 'reply@partner.example', inReplyTo: 'root@partner.example', references: '<root@partner.example>' }, 'Monday works.'), a.mailboxes.erika.id);
    await store(a, 'sent', mail({ from: to, to: 'anna@partner.example', subject: 'Re: Quarterly meetings', id: 'sent@a.example', inReplyTo: 'reply@partner.example', references: '<root@partner.example> <reply@partner.example>' }, 'Agreed, see you then.'), a.mailboxes.erika.id, { folder: 'sent' });
    await store(a, 'german', mail({ to, subject: 'Besichtigung', id: 'de@partner.example' }, 'Die Häuser in der Altstadt werden nächste Woche besichtigt.'), a.mailboxes.erika.id);
    const forged = await store(a, 'forged', mail({ from: '"Bank" <service@bank.example>', to, subject: 'Verify your account', id: 'forged@bank.example' }, 'Click here.'), a.mailboxes.erika.id);
    await withDb((db) => db.query(`UPDATE messages SET auth_summary = $2 WHERE id = $1`, [forged, { spf: 'fail', dkim: 'none', dmarc: 'fail', arc: 'none', fromDomain: 'bank.example', dkimDomains: [], dmarcPolicy: 'reject', action: 'deliver' }]));
    await store(a, 'newsletter', readFileSync(join(HOSTILE, 'remote-images.eml')), a.mailboxes.erika.id);
    await store(a, 'payloads', readFileSync(join(HOSTILE, 'header-payloads.eml')), a.mailboxes.erika.id);
    await store(a, 'svg', readFileSync(join(HOSTILE, 'svg-script.eml')), a.mailboxes.erika.id);
    await store(a, 'team', mail({ to: `team@${a.domain}`, subject: 'Team meetings', id: 'team@partner.example' }, 'Shared meetings calendar.'), sharedId);
    await store(a, 'max', mail({ to: a.mailboxes.max.address, subject: 'Private meetings', id: 'max@partner.example' }, 'Max only: meetings secret.'), a.mailboxes.max.id);
    await store(b, 'eve', mail({ to: b.mailboxes.eve.address, subject: 'Other tenant meetings', id: 'eve@partner.example' }, 'Tenant B meetings secret.'), b.mailboxes.eve.id);
    // Three arrivals in the same microsecond: the keyset's tie-breaker (the entry id) must still page through each once.
    const same = t0 + 3_600_000;
    for (const n of [1, 2, 3]) await store(a, `same${n}`, mail({ to, subject: `Same time ${n}`, id: `same${n}@partner.example` }, 'x'), a.mailboxes.erika.id, { at: same });
    erika = await signInEmployee(webmail, { tenantId: a.id, mailboxId: a.mailboxes.erika.id });
  });

  afterAll(async () => {
    await webmail?.stop();
  });

  it('lists the own mailbox first, then the shared ones, with totals and unread counts per folder', async () => {
    const body = await json<{ mailboxes: { id: string; kind: string; folders: { name: string; total: number; unread: number }[] }[] }>(await erika.get('/api/mailboxes'));
    expect(body.mailboxes.map((m) => [m.id, m.kind])).toEqual([[a.mailboxes.erika.id, 'own'], [sharedId, 'shared']]);
    const own = body.mailboxes[0].folders;
    expect(own).toEqual([
      { name: 'inbox', total: 10, unread: 10 },
      { name: 'sent', total: 1, unread: 1 },
      { name: 'trash', total: 0, unread: 0 },
    ]);
  });

  it('pages the inbox newest first with a keyset cursor, each message exactly once', async () => {
    const seen: Summary[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page: PageBody = await json<PageBody>(await erika.get(`/api/mailboxes/${a.mailboxes.erika.id}/folders/inbox/messages?limit=3${q}`));
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(4);
    expect(seen).toHaveLength(10);
    expect(new Set(seen.map((s) => s.id)).size).toBe(10);
    expect(seen.slice(0, 3).map((s) => s.subject).sort()).toEqual(['Same time 1', 'Same time 2', 'Same time 3']);
    expect(seen[seen.length - 1].subject).toBe('Quarterly meetings');
    const forged = seen.find((s) => s.id === entries.forged)!;
    expect(forged.authWarning).toMatch(/DMARC/);
    expect(seen.find((s) => s.id === entries.root)!.authWarning).toBeNull();
    expect(seen.find((s) => s.id === entries.payloads)!.hasAttachments).toBe(true);
    expect(seen.find((s) => s.id === entries.root)!.from).toEqual({ name: 'Anna Sender', address: 'anna@partner.example' });
    const bad = await erika.get(`/api/mailboxes/${a.mailboxes.erika.id}/folders/inbox/messages?cursor=nonsense`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { field: string }).field).toBe('cursor');
  });

  it('groups a conversation by its root Message-ID across inbox and sent', async () => {
    const root = await json<Summary>(await erika.get(`/api/messages/${entries.root}`));
    const thread = await json<{ messages: Summary[] }>(await erika.get(`/api/mailboxes/${a.mailboxes.erika.id}/threads/${root.threadId}`));
    expect(thread.messages.map((m) => m.id)).toEqual([entries.root, entries.reply, entries.sent]);
    expect(thread.messages.map((m) => m.folder)).toEqual(['inbox', 'inbox', 'sent']);
    expect((await erika.get(`/api/mailboxes/${a.mailboxes.max.id}/threads/${root.threadId}`)).status).toBe(404);
  });

  it('searches subject, body and people with English and German stemming, only in mailboxes the employee may read', async () => {
    const search = async (q: string) => (await json<PageBody>(await erika.get(`/api/search?q=${encodeURIComponent(q)}`))).items.map((i) => i.id);
    const meetings = await search('meeting');
    expect(meetings).toEqual(expect.arrayContaining([entries.root, entries.team]));
    expect(meetings).not.toContain(entries.max);
    expect(meetings).not.toContain(entries.eve);
    expect(await search('Haus')).toEqual([entries.german]);
    expect(await search('Häuser')).toEqual([entries.german]);
    expect(await search('anna@partner.example')).toContain(entries.root);
    expect(await search('agenda -monday')).toEqual([]);
    expect(await search('"secret"')).toEqual([]);
    const onlyShared = await json<PageBody>(await erika.get(`/api/search?q=meetings&mailboxId=${sharedId}`));
    expect(onlyShared.items.map((i) => i.id)).toEqual([entries.team]);
    expect((await erika.get(`/api/search?q=meetings&mailboxId=${a.mailboxes.max.id}`)).status).toBe(404);
    expect((await erika.get(`/api/search?q=meetings&mailboxId=${b.mailboxes.eve.id}`)).status).toBe(404);
    expect((await erika.get(`/api/search?q=`)).status).toBe(400);
  });

  it('finds the same messages whether the newest entries or the full-text index answer', async () => {
    const service = webmail.app.get(MailboxViewService);
    const ask = async (q: string, cursor?: string) =>
      json<PageBody>(await erika.get(`/api/search?q=${encodeURIComponent(q)}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
    const all = async (q: string) => {
      const ids: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await ask(q, cursor);
        ids.push(...page.items.map((x) => x.id));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      return ids;
    };
    const byIndex = { meetings: await all('meetings'), haus: await all('Haus') };
    try {
      // Every word counts as common: the walk over the newest entries answers.
      service.searchHitProbe = 0;
      expect(await all('meetings')).toEqual(byIndex.meetings);
      expect(await all('Haus')).toEqual(byIndex.haus);
      // And with a window of one entry, the walk gives way to all the index's hits.
      service.searchWalkWindow = 1;
      expect(await all('meetings')).toEqual(byIndex.meetings);
      expect(await all('Haus')).toEqual(byIndex.haus);
    } finally {
      service.searchWalkWindow = SEARCH_WALK_WINDOW;
      service.searchHitProbe = SEARCH_HIT_PROBE;
    }
    expect(byIndex.meetings).toEqual([entries.team, entries.sent, entries.reply, entries.root]);
  });

  it('shows a message with its headers, text, authentication warning and attachment list', async () => {
    const forged = await json<{ auth: { dmarc: string; warningCode: string; warning: string } }>(await erika.get(`/api/messages/${entries.forged}`));
    expect(forged.auth.warningCode).toBe('dmarc_fail');
    const root = await json<{ subject: string; text: string; hasHtml: boolean; to: { address: string }[]; unread: boolean }>(await erika.get(`/api/messages/${entries.root}`));
    expect(root).toMatchObject({ subject: 'Quarterly meetings', hasHtml: false, unread: true });
    expect(root.text).toContain('The meetings are planned');
    const news = await json<{ hasHtml: boolean; remoteImages: number; htmlUrl: string; attachments: { index: number; inline: boolean; contentType: string }[] }>(
      await erika.get(`/api/messages/${entries.newsletter}`),
    );
    expect(news).toMatchObject({ hasHtml: true, remoteImages: 4, htmlUrl: `/api/messages/${entries.newsletter}/html` });
    expect(news.attachments).toEqual([expect.objectContaining({ index: 0, inline: true, contentType: 'image/png' })]);
  });

  it('serves the sanitized HTML under a CSP without scripts, remote images blocked unless allowed', async () => {
    const blocked = await erika.get(`/api/messages/${entries.newsletter}/html`);
    expect(blocked.status).toBe(200);
    expect(blocked.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = blocked.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("img-src 'self' data:;");
    expect(csp).toMatch(/; sandbox/);
    expect(csp).not.toMatch(/script-src|allow-scripts/);
    expect(csp).toMatch(/; sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox$/);
    expect(blocked.headers.get('x-content-type-options')).toBe('nosniff');
    const doc = await blocked.text();
    expect(doc).not.toMatch(/evil\.invalid/);
    expect(doc).toContain('src="data:image/png;base64,');
    const allowed = await erika.get(`/api/messages/${entries.newsletter}/html?images=allowed`);
    expect(allowed.headers.get('content-security-policy')).toContain("img-src 'self' data: https: http:;");
    expect(await allowed.text()).toContain('src="https://evil.invalid/logo.png"');
    expect((await erika.get(`/api/messages/${entries.root}/html`)).status).toBe(404);
    expect((await erika.get(`/api/messages/${entries.newsletter}/html?images=maybe`)).status).toBe(400);
  });

  it('downloads attachments with safe headers: always a download, dangerous types as octet-stream, a clean file name', async () => {
    const detail = await json<{ attachments: { index: number; filename: string; contentType: string }[] }>(await erika.get(`/api/messages/${entries.payloads}`));
    expect(detail.attachments.map((x) => x.contentType)).toEqual(['text/html', 'application/pdf']);
    const html = await erika.get(`/api/messages/${entries.payloads}/attachments/0`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('application/octet-stream');
    expect(html.headers.get('x-content-type-options')).toBe('nosniff');
    const disposition = html.headers.get('content-disposition')!;
    expect(disposition).toMatch(/^attachment; filename="[^"/\\]+"; filename\*=UTF-8''[A-Za-z0-9%._~!-]+$/);
    expect(disposition).not.toMatch(/%2F|%5C|%0D|%0A|%22|%3C|%3E/i);
    expect(html.headers.get('x-injected')).toBeNull();
    expect(await html.text()).toContain("__pwned('attachment-html')");
    const pdf = await erika.get(`/api/messages/${entries.payloads}/attachments/1`);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).not.toMatch(/\u202e|%E2%80%AE/i);
    expect(Buffer.from(await pdf.arrayBuffer()).toString()).toBe('%PDF-1.4\n');
    const svg = await erika.get(`/api/messages/${entries.svg}/attachments/0`);
    expect(svg.headers.get('content-type')).toBe('application/octet-stream');
    expect(svg.headers.get('content-disposition')).toContain('filename="plan.svg"');
    await svg.arrayBuffer();
    expect((await erika.get(`/api/messages/${entries.payloads}/attachments/2`)).status).toBe(404);
    expect((await erika.get(`/api/messages/${entries.payloads}/attachments/x`)).status).toBe(404);
  });

  it('marks read and unread', async () => {
    expect(await json(await erika.post(`/api/messages/${entries.reply}/read`, { unread: false }))).toMatchObject({ id: entries.reply, unread: false });
    expect((await json<{ unread: boolean }>(await erika.get(`/api/messages/${entries.reply}`))).unread).toBe(false);
    const counts = await json<{ mailboxes: { folders: { name: string; unread: number }[] }[] }>(await erika.get('/api/mailboxes'));
    expect(counts.mailboxes[0].folders.find((f) => f.name === 'inbox')!.unread).toBe(9);
    await json(await erika.post(`/api/messages/${entries.reply}/read`, { unread: false }));
    expect(await withDb(async (db) => (await db.query(`SELECT flags FROM mirror_entries WHERE id = $1`, [entries.reply])).rows[0].flags)).toEqual(['\\Seen']);
    await json(await erika.post(`/api/messages/${entries.reply}/read`, { unread: true }));
    expect((await json<{ unread: boolean }>(await erika.get(`/api/messages/${entries.reply}`))).unread).toBe(true);
    expect((await erika.post(`/api/messages/${entries.reply}/read`, { unread: 'no' })).status).toBe(400);
  });

  it('moves to the trash and back to where the message came from, saying deletions stay here', async () => {
    const trashed = await json<{ folder: string; trashedFrom: string; note: string }>(await erika.post(`/api/messages/${entries.sent}/trash`));
    expect(trashed).toMatchObject({ folder: 'trash', trashedFrom: 'sent' });
    expect(trashed.note).toMatch(/not copied back/);
    const trash = await json<PageBody>(await erika.get(`/api/mailboxes/${a.mailboxes.erika.id}/folders/trash/messages`));
    expect(trash.items.map((i) => i.id)).toEqual([entries.sent]);
    const sent = await json<PageBody>(await erika.get(`/api/mailboxes/${a.mailboxes.erika.id}/folders/sent/messages`));
    expect(sent.items).toEqual([]);
    expect((await json<{ trashedFrom: string }>(await erika.get(`/api/messages/${entries.sent}`))).trashedFrom).toBe('sent');
    // Trashing twice changes nothing; restoring puts it back into Sent.
    await json(await erika.post(`/api/messages/${entries.sent}/trash`));
    expect(await json(await erika.post(`/api/messages/${entries.sent}/restore`))).toEqual({ id: entries.sent, folder: 'sent' });
    const back = await json<PageBody>(await erika.get(`/api/mailboxes/${a.mailboxes.erika.id}/folders/sent/messages`));
    expect(back.items.map((i) => i.id)).toEqual([entries.sent]);
  });

  it("answers 404 for another mailbox's or tenant's message on every route, and never lists it", async () => {
    for (const foreign of [entries.max, entries.eve, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      for (const r of [
        await erika.get(`/api/messages/${foreign}`),
        await erika.get(`/api/messages/${foreign}/html`),
        await erika.get(`/api/messages/${foreign}/attachments/0`),
        await erika.post(`/api/messages/${foreign}/read`, { unread: false }),
        await erika.post(`/api/messages/${foreign}/trash`),
        await erika.post(`/api/messages/${foreign}/restore`),
      ]) {
        expect(r.status).toBe(404);
        expect(await r.json()).toMatchObject({ statusCode: 404, code: 'not_found' });
      }
    }
    for (const mb of [a.mailboxes.max.id, b.mailboxes.eve.id, 'x']) {
      expect((await erika.get(`/api/mailboxes/${mb}/folders/inbox/messages`)).status).toBe(404);
    }
    expect((await erika.get(`/api/mailboxes/${a.mailboxes.erika.id}/folders/spam/messages`)).status).toBe(404);
    const untouched = await withDb(async (db) => (await db.query(`SELECT folder, flags FROM mirror_entries WHERE id = ANY($1)`, [[entries.max, entries.eve]])).rows);
    expect(untouched).toEqual([{ folder: 'inbox', flags: [] }, { folder: 'inbox', flags: [] }]);
  });

  it('needs a session and, for changes, the CSRF token', async () => {
    expect((await fetch(`${webmail.baseUrl}/api/mailboxes`, { headers: { Accept: 'application/json' } })).status).toBe(401);
    const noCsrf = await erika.fetch(`/api/messages/${entries.root}/trash`, { method: 'POST', headers: { Accept: 'application/json' } });
    expect(noCsrf.status).toBe(403);
    expect((await json<{ folder: string }>(await erika.get(`/api/messages/${entries.root}`))).folder).toBe('inbox');
  });
});
