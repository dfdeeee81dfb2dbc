import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { FsBlobStore } from '@app/blob-store';
import { createLogger, Metrics } from '@app/observability';
import { MessageIndexer } from '@app/mirror';
import { createTestTenant, insertTestMessage, TestTenant, withDb } from '../../support/factories';
import { EmployeeClient, signInEmployee, startTestWebmail, TestWebmail } from '../../support/webmail';

const crlf = (s: string): Buffer => Buffer.from(s.replace(/\r?\n/g, '\r\n'));

function mail(h: { subject: string; id?: string; inReplyTo?: string; references?: string[] }): Buffer {
  return crlf(
    [
      'From: "Anna Sender" <anna@partner.example>',
      'To: someone@example.com',
      `Subject: ${h.subject}`,
      'Date: Tue, 01 Dec 2026 09:00:00 +0000',
      ...(h.id ? [`Message-ID: <${h.id}>`] : []),
      ...(h.inReplyTo ? [`In-Reply-To: <${h.inReplyTo}>`] : []),
      ...(h.references ? [`References: ${h.references.map((r) => `<${r}>`).join(' ')}`] : []),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Text.',
      '',
    ].join('\n'),
  );
}

/**
 * Conversations as mail clients build them: a message belongs to the
 * conversation of every message in the same mailbox it references or that
 * references it (Message-ID, In-Reply-To, References), whatever the order of
 * arrival, never by subject alone, and never across mailboxes or tenants.
 */
describe('webmail conversations', () => {
  let webmail: TestWebmail;
  let indexer: MessageIndexer;
  let ds: DataSource;
  let seq = 0;
  const t0 = Date.parse('2026-12-01T09:00:00Z');

  /** Stores a message as the MX does (entry first, ids unknown), then indexes it as the index job does. */
  async function deliver(tenant: TestTenant, mailboxId: string, raw: Buffer, opts: { index?: boolean } = {}): Promise<{ entryId: string; messageId: string }> {
    const receivedAt = new Date(t0 + seq++ * 60_000);
    const m = await insertTestMessage(tenant, { raw, recipients: ['someone@' + tenant.domain], receivedAt, mirrorMailboxIds: [] });
    const e = await withDb((db) =>
      db.query(`INSERT INTO mirror_entries (tenant_id, mailbox_id, message_id, folder, received_at) VALUES ($1,$2,$3,'inbox',$4) RETURNING id`, [tenant.id, mailboxId, m.messageId, receivedAt]),
    );
    if (opts.index !== false) await indexer.index({ tenantId: tenant.id, messageId: m.messageId });
    return { entryId: e.rows[0].id, messageId: m.messageId };
  }

  /** The conversation's id as the API gives it. */
  const threadOf = async (entryId: string): Promise<string> =>
    (await withDb((db) => db.query(`SELECT replace(thread_id::text, '-', '') AS t FROM mirror_entries WHERE id = $1`, [entryId]))).rows[0].t;

  async function conversation(client: EmployeeClient, mailboxId: string, entryId: string): Promise<string[]> {
    const detail = await client.get(`/api/messages/${entryId}`);
    expect(detail.status).toBe(200);
    const { threadId } = (await detail.json()) as { threadId: string };
    const r = await client.get(`/api/mailboxes/${mailboxId}/threads/${threadId}`);
    expect(r.status).toBe(200);
    return ((await r.json()) as { messages: { id: string }[] }).messages.map((m) => m.id);
  }

  beforeAll(async () => {
    webmail = await startTestWebmail();
    ds = webmail.app.get(DataSource);
    indexer = new MessageIndexer(ds, new FsBlobStore(join(process.env.DATA_DIR as string, 'blobs')), new Metrics('test'), createLogger('test', 'silent'), webmail.cfg);
  });

  afterAll(async () => {
    await webmail?.stop();
  });

  it('joins a reply that has only In-Reply-To, and one whose client trimmed References', async () => {
    const t = await createTestTenant({ mailboxes: ['erika'] });
    const mb = t.mailboxes.erika.id;
    const erika = await signInEmployee(webmail, { tenantId: t.id, mailboxId: mb });
    const root = await deliver(t, mb, mail({ subject: 'Budget', id: 'root@p.example' }));
    const noRefs = await deliver(t, mb, mail({ subject: 'Re: Budget', id: 'r1@p.example', inReplyTo: 'root@p.example' }));
    const second = await deliver(t, mb, mail({ subject: 'Re: Budget', id: 'r2@p.example', inReplyTo: 'r1@p.example', references: ['root@p.example', 'r1@p.example'] }));
    // The root is gone from References (a client that keeps only the last few ids), and the subject changed.
    const trimmed = await deliver(t, mb, mail({ subject: 'Budget figures', id: 'r3@p.example', references: ['r2@p.example'] }));
    const expected = [root.entryId, noRefs.entryId, second.entryId, trimmed.entryId];
    for (const e of expected) expect(await conversation(erika, mb, e)).toEqual(expected);
  });

  it('joins a reply whose parent arrives later, and two replies to a parent the mailbox never got', async () => {
    const t = await createTestTenant({ mailboxes: ['erika'] });
    const mb = t.mailboxes.erika.id;
    const erika = await signInEmployee(webmail, { tenantId: t.id, mailboxId: mb });
    const child = await deliver(t, mb, mail({ subject: 'Re: Offsite', id: 'c@p.example', inReplyTo: 'p@p.example' }));
    const other = await deliver(t, mb, mail({ subject: 'Unrelated', id: 'u@p.example' }));
    const before = await threadOf(child.entryId);
    expect(await conversation(erika, mb, child.entryId)).toEqual([child.entryId]);
    const parent = await deliver(t, mb, mail({ subject: 'Offsite', id: 'p@p.example' }));
    expect(await conversation(erika, mb, parent.entryId)).toEqual([child.entryId, parent.entryId]);
    expect(await conversation(erika, mb, child.entryId)).toEqual([child.entryId, parent.entryId]);
    expect(await threadOf(other.entryId)).not.toBe(await threadOf(child.entryId));
    // Links to the conversation as it was before the merge lead to it if its id survived, else to nothing.
    const merged = await threadOf(child.entryId);
    if (merged !== before) expect((await erika.get(`/api/mailboxes/${mb}/threads/${before}`)).status).toBe(404);

    // Siblings meet at their missing parent's id; the parent's own reply arriving last joins them too.
    const s1 = await deliver(t, mb, mail({ subject: 'Re: Plan', id: 's1@p.example', inReplyTo: 'gone@p.example', references: ['gone@p.example'] }));
    const s2 = await deliver(t, mb, mail({ subject: 'Re: Plan', id: 's2@p.example', references: ['gone@p.example'] }));
    expect(await conversation(erika, mb, s1.entryId)).toEqual([s1.entryId, s2.entryId]);
    // A message whose ids are written only later (unindexed at first) joins when the index job writes them.
    const late = await deliver(t, mb, mail({ subject: 'Re: Plan', id: 's3@p.example', inReplyTo: 's2@p.example' }), { index: false });
    expect(await conversation(erika, mb, late.entryId)).toEqual([late.entryId]);
    await indexer.index({ tenantId: t.id, messageId: late.messageId });
    expect(await conversation(erika, mb, late.entryId)).toEqual([s1.entryId, s2.entryId, late.entryId]);
  });

  it('keeps two conversations with the same subject apart', async () => {
    const t = await createTestTenant({ mailboxes: ['erika'] });
    const mb = t.mailboxes.erika.id;
    const erika = await signInEmployee(webmail, { tenantId: t.id, mailboxId: mb });
    const a1 = await deliver(t, mb, mail({ subject: 'Lunch?', id: 'a1@p.example' }));
    const b1 = await deliver(t, mb, mail({ subject: 'Lunch?', id: 'b1@q.example' }));
    const a2 = await deliver(t, mb, mail({ subject: 'Re: Lunch?', id: 'a2@p.example', inReplyTo: 'a1@p.example', references: ['a1@p.example'] }));
    const b2 = await deliver(t, mb, mail({ subject: 'Re: Lunch?', id: 'b2@q.example', inReplyTo: 'b1@q.example' }));
    const none = await deliver(t, mb, mail({ subject: 'Re: Lunch?' }));
    expect(await conversation(erika, mb, a2.entryId)).toEqual([a1.entryId, a2.entryId]);
    expect(await conversation(erika, mb, b1.entryId)).toEqual([b1.entryId, b2.entryId]);
    expect(await conversation(erika, mb, none.entryId)).toEqual([none.entryId]);
  });

  it('threads each mailbox on its own: another mailbox or tenant with the same ids changes nothing', async () => {
    const a = await createTestTenant({ mailboxes: ['erika', 'max'] });
    const b = await createTestTenant({ mailboxes: ['eve'] });
    const erika = await signInEmployee(webmail, { tenantId: a.id, mailboxId: a.mailboxes.erika.id });
    const eve = await signInEmployee(webmail, { tenantId: b.id, mailboxId: b.mailboxes.eve.id });
    const mine1 = await deliver(a, a.mailboxes.erika.id, mail({ subject: 'One', id: 'one@p.example' }));
    const mine2 = await deliver(a, a.mailboxes.erika.id, mail({ subject: 'Two', id: 'two@p.example' }));
    // Max's mailbox holds a message referencing both of Erika's conversations, and a reply to the first.
    const bridge = await deliver(a, a.mailboxes.max.id, mail({ subject: 'Both', id: 'both@p.example', references: ['one@p.example', 'two@p.example'] }));
    const maxReply = await deliver(a, a.mailboxes.max.id, mail({ subject: 'Re: One', id: 'one-re@p.example', inReplyTo: 'one@p.example' }));
    // Another tenant has a message with the same ids, and a reply to it.
    const foreign = await deliver(b, b.mailboxes.eve.id, mail({ subject: 'One', id: 'one@p.example' }));
    const foreignReply = await deliver(b, b.mailboxes.eve.id, mail({ subject: 'Re: One', id: 'two@p.example', inReplyTo: 'one@p.example' }));

    expect(await conversation(erika, a.mailboxes.erika.id, mine1.entryId)).toEqual([mine1.entryId]);
    expect(await conversation(erika, a.mailboxes.erika.id, mine2.entryId)).toEqual([mine2.entryId]);
    expect(await conversation(eve, b.mailboxes.eve.id, foreign.entryId)).toEqual([foreign.entryId, foreignReply.entryId]);
    expect(await threadOf(bridge.entryId)).toBe(await threadOf(maxReply.entryId));
    // Erika may not read Max's conversation, even knowing its id; nor Eve Erika's.
    expect((await erika.get(`/api/mailboxes/${a.mailboxes.max.id}/threads/${await threadOf(bridge.entryId)}`)).status).toBe(404);
    expect((await erika.get(`/api/mailboxes/${a.mailboxes.erika.id}/threads/${await threadOf(bridge.entryId)}`)).status).toBe(404);
    expect((await eve.get(`/api/mailboxes/${b.mailboxes.eve.id}/threads/${await threadOf(mine1.entryId)}`)).status).toBe(404);
    for (const e of [mine1, mine2]) expect(await threadOf(e.entryId)).not.toBe(await threadOf(foreign.entryId));
  });

  it('joins replies and parents indexed at the same time', async () => {
    const t = await createTestTenant({ mailboxes: ['erika', 'max'] });
    const mbs = [t.mailboxes.erika.id, t.mailboxes.max.id];
    const chains = 6;
    // Every message is mirrored into both mailboxes (as mail to both would be), then all are indexed at once.
    const stored: { messageId: string; chain: number }[] = [];
    for (let c = 0; c < chains; c++) {
      const ids = [`c${c}-0@p.example`, `c${c}-1@p.example`, `c${c}-2@p.example`, `c${c}-3@p.example`];
      const raws = [
        mail({ subject: `Chain ${c}`, id: ids[0] }),
        mail({ subject: `Re: Chain ${c}`, id: ids[1], inReplyTo: ids[0] }),
        mail({ subject: `Re: Chain ${c}`, id: ids[2], inReplyTo: ids[1] }),
        mail({ subject: `Re: Chain ${c}`, id: ids[3], references: [ids[2]] }),
      ];
      for (const raw of raws) {
        const m = await insertTestMessage(t, { raw, recipients: ['someone@' + t.domain], receivedAt: new Date(t0 + seq++ * 1000), mirrorMailboxIds: mbs });
        stored.push({ messageId: m.messageId, chain: c });
      }
    }
    const others = Array.from({ length: 4 }, () => new DataSource({ ...(ds.options as object), poolSize: 2 } as ConstructorParameters<typeof DataSource>[0]));
    await Promise.all(others.map((o) => o.initialize()));
    try {
      const indexers = others.map((o) => new MessageIndexer(o, new FsBlobStore(join(process.env.DATA_DIR as string, 'blobs')), new Metrics('test'), createLogger('test', 'silent'), webmail.cfg));
      // Newest first, spread over four connections: children are indexed before or beside their parents.
      await Promise.all([...stored].reverse().map((s, i) => indexers[i % indexers.length].index({ tenantId: t.id, messageId: s.messageId })));
    } finally {
      await Promise.all(others.map((o) => o.destroy()));
    }
    const rows: { mailbox_id: string; message_id: string; thread_id: string }[] = (
      await withDb((db) => db.query(`SELECT mailbox_id, message_id, thread_id FROM mirror_entries WHERE tenant_id = $1`, [t.id]))
    ).rows;
    expect(rows).toHaveLength(chains * 4 * 2);
    for (const mb of mbs) {
      const threads = new Map<number, Set<string>>();
      for (const r of rows.filter((x) => x.mailbox_id === mb)) {
        const chain = stored.find((s) => s.messageId === r.message_id)!.chain;
        threads.set(chain, (threads.get(chain) ?? new Set()).add(r.thread_id));
      }
      expect([...threads.values()].map((s) => s.size)).toEqual(Array(chains).fill(1));
      expect(new Set([...threads.values()].map((s) => [...s][0])).size).toBe(chains);
    }
  });
});
