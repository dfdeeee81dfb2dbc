import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { HttpError } from '@app/http';
import { mirrorSearchTsQuery } from '@app/mirror';
import type { AuthSummary } from '@app/mail-auth';
import { authView } from './auth-warning';
import { decodeCursor, encodeCursor, isUuid } from './cursor';
import { MailboxAccess, MessageNotFoundError } from './mailbox-access.service';
import { Folder, FolderCounts, LISTED_FOLDERS, ListedFolder, MailboxView, MessageSummary, Page, Person, Viewer } from './mailbox-view.types';

export const SEEN = '\\Seen';
export const DELETION_NOTE = 'Moved to Trash here only: deletions are not copied back to your Exchange mailbox.';
export const READ_STATE_NOTE = 'Read state is kept here only and is not copied back to your Exchange mailbox.';

/** The columns a list item is built from, for mirror entry `e` joined with its message `m`. */
export const SUMMARY_COLUMNS = `
  e.id, e.mailbox_id, e.folder, e.flags,
  to_char(e.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at,
  coalesce(m.header_date, e.received_at) AS shown_date,
  e.thread_id, m.from_addr, m.to_addr, m.subject, m.snippet, m.mail_from, m.auth_summary,
  coalesce(jsonb_typeof(m.attachments) = 'array' AND EXISTS (
    SELECT 1 FROM jsonb_array_elements(m.attachments) a WHERE coalesce((a->>'inline')::boolean, false) = false), false) AS has_attachments`;

export interface SummaryRow {
  id: string;
  mailbox_id: string;
  folder: Folder;
  flags: string[];
  cursor_at: string;
  shown_date: Date;
  thread_id: string;
  from_addr: Person[] | null;
  to_addr: Person[] | null;
  subject: string | null;
  snippet: string | null;
  mail_from: string;
  auth_summary: AuthSummary | null;
  has_attachments: boolean;
}

export function personOf(list: Person[] | null | undefined, envelopeFrom?: string): Person | null {
  const p = Array.isArray(list) ? list.find((x) => x && typeof x.address === 'string') : undefined;
  if (p) return { name: String(p.name ?? ''), address: p.address };
  return envelopeFrom ? { name: '', address: envelopeFrom } : null;
}

export function peopleOf(list: Person[] | null | undefined, max = 100): Person[] {
  return (Array.isArray(list) ? list : []).filter((x) => x && typeof x.address === 'string').slice(0, max).map((x) => ({ name: String(x.name ?? ''), address: x.address }));
}

/** A conversation's id in the API: its uuid as 32 hex digits. */
export function threadIdOf(uuid: string): string {
  return uuid.replace(/-/g, '');
}

export function summaryOf(r: SummaryRow): MessageSummary {
  return {
    id: r.id,
    mailboxId: r.mailbox_id,
    folder: r.folder,
    threadId: threadIdOf(r.thread_id),
    from: personOf(r.from_addr, r.mail_from || undefined),
    to: peopleOf(r.to_addr, 10),
    subject: r.subject,
    snippet: r.snippet,
    date: new Date(r.shown_date).toISOString(),
    unread: !r.flags.includes(SEEN),
    hasAttachments: r.has_attachments,
    authWarning: authView(r.auth_summary)?.warning ?? null,
  };
}

function pageOf(rows: SummaryRow[], limit: number): Page<MessageSummary> {
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(summaryOf), nextCursor: more && last ? encodeCursor({ receivedAt: last.cursor_at, id: last.id }) : null };
}

const THREAD_ID = /^[0-9a-f]{32}$/;
const UNIQUE_VIOLATION = '23505';
const MAX_THREAD_MESSAGES = 500;
/** Newest entries tested one by one before the full-text index is asked (see search). */
export const SEARCH_WALK_WINDOW = 2000;
/** Full-text hits in the tenant up to which the index answers alone (see search). */
export const SEARCH_HIT_PROBE = 5000;

/**
 * The webmail's reading side of a standby mailbox: folders with counts,
 * newest-first pages, conversations, full-text search, read state and the
 * trash. Everything is scoped by the viewer's tenant and the mailboxes they
 * may read; an id outside that is "not found".
 */
@Injectable()
export class MailboxViewService {
  /** How many of the newest entries a search tests before it asks the index (a field so tests can exercise both ways). */
  searchWalkWindow = SEARCH_WALK_WINDOW;
  /** How many full-text hits make a word common (see search). */
  searchHitProbe = SEARCH_HIT_PROBE;

  constructor(private readonly ds: DataSource, private readonly access: MailboxAccess) {}

  async mailboxes(v: Viewer): Promise<MailboxView[]> {
    const permitted = await this.access.permitted(v);
    const ids = permitted.map((m) => m.id);
    const totals: { mailbox_id: string; folder: string; n: string }[] = await this.ds.query(
      `SELECT mailbox_id, folder, count(*) AS n FROM mirror_entries
        WHERE tenant_id = $1 AND mailbox_id = ANY($2::uuid[]) GROUP BY mailbox_id, folder`,
      [v.tenantId, ids],
    );
    const unread: { mailbox_id: string; folder: string; n: string }[] = await this.ds.query(
      `SELECT mailbox_id, folder, count(*) AS n FROM mirror_entries
        WHERE tenant_id = $1 AND mailbox_id = ANY($2::uuid[]) AND NOT ('${SEEN}' = ANY (flags)) GROUP BY mailbox_id, folder`,
      [v.tenantId, ids],
    );
    const count = (rows: { mailbox_id: string; folder: string; n: string }[], mb: string, f: string) => Number(rows.find((r) => r.mailbox_id === mb && r.folder === f)?.n ?? 0);
    return permitted.map((m) => ({
      ...m,
      folders: LISTED_FOLDERS.map((name): FolderCounts => ({ name, total: count(totals, m.id, name), unread: count(unread, m.id, name) })),
    }));
  }

  /** One page of a folder, newest first; `cursor` is the previous page's `nextCursor`. */
  async list(v: Viewer, mailboxId: string, folder: Folder, opts: { cursor?: string; limit: number }): Promise<Page<MessageSummary>> {
    const mb = await this.access.require(v, mailboxId);
    const c = opts.cursor ? decodeCursor(opts.cursor) : null;
    const params: unknown[] = [v.tenantId, mb.id, folder, opts.limit + 1];
    if (c) params.push(c.receivedAt, c.id);
    const rows: SummaryRow[] = await this.ds.query(
      `SELECT ${SUMMARY_COLUMNS}
         FROM mirror_entries e
         JOIN messages m ON m.id = e.message_id AND m.tenant_id = e.tenant_id
        WHERE e.tenant_id = $1 AND e.mailbox_id = $2 AND e.folder = $3
          ${c ? 'AND (e.received_at, e.id) < ($5::timestamptz, $6::uuid)' : ''}
        ORDER BY e.received_at DESC, e.id DESC
        LIMIT $4`,
      params,
    );
    return pageOf(rows, opts.limit);
  }

  /**
   * A conversation in one mailbox, oldest first, across inbox and sent.
   * Trashed messages are left out unless the whole conversation is in the trash.
   * Conversations are kept per mailbox as mail arrives and is indexed (see the
   * AddMailboxThreads migration): entries sharing a Message-ID through their
   * own id, In-Reply-To or References are one conversation, never by subject.
   */
  async thread(v: Viewer, mailboxId: string, threadId: string): Promise<{ threadId: string; subject: string | null; messages: MessageSummary[] }> {
    const mb = await this.access.require(v, mailboxId);
    if (!THREAD_ID.test(threadId)) throw new HttpError(404, 'not_found', 'no such conversation');
    const rows: SummaryRow[] = await this.ds.query(
      `SELECT ${SUMMARY_COLUMNS}
         FROM mirror_entries e
         JOIN messages m ON m.id = e.message_id AND m.tenant_id = e.tenant_id
        WHERE e.tenant_id = $1 AND e.mailbox_id = $2 AND e.thread_id = $3::uuid AND e.folder <> 'drafts'
        ORDER BY e.received_at, e.id
        LIMIT ${MAX_THREAD_MESSAGES}`,
      [v.tenantId, mb.id, threadId],
    );
    const live = rows.filter((r) => r.folder !== 'trash');
    const shown = live.length ? live : rows;
    if (!shown.length) throw new HttpError(404, 'not_found', 'no such conversation');
    return { threadId, subject: shown[0].subject, messages: shown.map(summaryOf) };
  }

  /**
   * Full-text search over sender, recipients, subject, attachment names and
   * body, stemmed in English and German (see the indexer's search vector),
   * newest first, in the viewer's mailboxes (or the one named).
   *
   * A tenant may hold a million messages, so the plan is chosen by how
   * common the words are, in three steps that all give the same order:
   * 1. When the planner's estimate says the words are rare, ask the tenant's
   *    full-text index for at most SEARCH_HIT_PROBE hits. Fewer than that is
   *    the whole answer: match them against the mailboxes' entries.
   * 2. A common word: walk the newest entries of the mailboxes (a bounded
   *    window) and test each message; a few hundred rows give a page.
   * 3. Common in the tenant but rare in these mailboxes: all hits against the
   *    entries (the slow case, and the rare one).
   * JIT compilation is off for these statements: it costs more than these
   * short queries save.
   */
  async search(v: Viewer, q: string, opts: { mailboxId?: string; cursor?: string; limit: number }): Promise<Page<MessageSummary>> {
    const ids = opts.mailboxId ? [(await this.access.require(v, opts.mailboxId)).id] : await this.access.permittedIds(v);
    const c = opts.cursor ? decodeCursor(opts.cursor) : null;
    const after = c ? 'AND (e.received_at, e.id) < ($5::timestamptz, $6::uuid)' : '';
    const tail: unknown[] = c ? [c.receivedAt, c.id] : [];
    return this.ds.transaction(async (em) => {
      await em.query(`SET LOCAL jit = off`);
      // Step 1 only for words the planner expects to be rare (its estimate costs a plan, no rows read): building
      // the index's bitmap for a word in half the tenant's mail would cost more than the walk that answers it.
      const plan: { 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }[] = await em.query(
        `EXPLAIN (FORMAT JSON) SELECT 1 FROM messages m WHERE m.tenant_id = $1 AND m.search_vector @@ ${mirrorSearchTsQuery('$2')}`,
        [v.tenantId, q],
      );
      const expected = Number(plan[0]?.['QUERY PLAN']?.[0]?.Plan?.['Plan Rows'] ?? Infinity);
      let hits: { id: string }[] | null = null;
      // Estimates of rare words run high (an address or a name is a few hundred hits, estimated at thousands).
      if (expected <= this.searchHitProbe * 4) {
        // Only the full-text index may answer (a scan testing every row would read the whole tenant).
        await em.query(`SET LOCAL enable_seqscan = off`);
        await em.query(`SET LOCAL enable_indexscan = off`);
        hits = await em.query(
          `SELECT m.id FROM messages m WHERE m.tenant_id = $1 AND m.search_vector @@ ${mirrorSearchTsQuery('$2')} LIMIT ${this.searchHitProbe + 1}`,
          [v.tenantId, q],
        );
        await em.query(`SET LOCAL enable_indexscan = on`);
      }
      if (hits && hits.length <= this.searchHitProbe) {
        const rows: SummaryRow[] = await em.query(
          `SELECT ${SUMMARY_COLUMNS}
             FROM mirror_entries e
             JOIN messages m ON m.id = e.message_id AND m.tenant_id = e.tenant_id
            WHERE e.tenant_id = $1 AND e.mailbox_id = ANY($2::uuid[]) AND e.message_id = ANY($3::uuid[]) AND e.folder <> 'drafts' ${after}
            ORDER BY e.received_at DESC, e.id DESC
            LIMIT $4`,
          [v.tenantId, ids, hits.map((h) => h.id), opts.limit + 1, ...tail],
        );
        return pageOf(rows, opts.limit);
      }
      await em.query(`SET LOCAL enable_seqscan = on`);
      // Step 2: walk windows of the newest entries, each starting where the last one ended.
      const found: SummaryRow[] = [];
      let from = c;
      for (const size of [this.searchWalkWindow, this.searchWalkWindow * 4]) {
        const walkAfter = from ? 'AND (e.received_at, e.id) < ($5::timestamptz, $6::uuid)' : '';
        // A subquery, not a CTE: its order carries through the join, so the walk stops at the page's last match.
        const walked: SummaryRow[] = await em.query(
          `SELECT ${SUMMARY_COLUMNS}
             FROM (SELECT * FROM mirror_entries e
                    WHERE e.tenant_id = $1 AND e.mailbox_id = ANY($2::uuid[]) AND e.folder <> 'drafts' ${walkAfter}
                    ORDER BY e.received_at DESC, e.id DESC
                    LIMIT ${size}) e
             JOIN messages m ON m.id = e.message_id AND m.tenant_id = e.tenant_id
            WHERE m.search_vector @@ ${mirrorSearchTsQuery('$3')}
            ORDER BY e.received_at DESC, e.id DESC
            LIMIT $4`,
          [v.tenantId, ids, q, opts.limit + 1 - found.length, ...(from ? [from.receivedAt, from.id] : [])],
        );
        found.push(...walked);
        if (found.length > opts.limit) return pageOf(found, opts.limit);
        const end = await this.windowEnd(em, v.tenantId, ids, from, size);
        if (!end) return pageOf(found, opts.limit);
        from = end;
      }
      // Step 3: common in the tenant, rare in these mailboxes: the rest from all the index's hits.
      await em.query(`SET LOCAL enable_seqscan = off`);
      const rest: SummaryRow[] = await em.query(
        `WITH hits AS MATERIALIZED (
           SELECT m.id FROM messages m WHERE m.tenant_id = $1 AND m.search_vector @@ ${mirrorSearchTsQuery('$3')}
         ), top AS (
           SELECT e.id FROM mirror_entries e JOIN hits h ON h.id = e.message_id
            WHERE e.tenant_id = $1 AND e.mailbox_id = ANY($2::uuid[]) AND e.folder <> 'drafts'
              AND (e.received_at, e.id) < ($5::timestamptz, $6::uuid)
            ORDER BY e.received_at DESC, e.id DESC
            LIMIT $4
         )
         SELECT ${SUMMARY_COLUMNS}
           FROM top t
           JOIN mirror_entries e ON e.id = t.id
           JOIN messages m ON m.id = e.message_id AND m.tenant_id = e.tenant_id
          ORDER BY e.received_at DESC, e.id DESC`,
        [v.tenantId, ids, q, opts.limit + 1 - found.length, from!.receivedAt, from!.id],
      );
      return pageOf([...found, ...rest], opts.limit);
    });
  }

  /** The last entry of a window of `size` entries after `from`, as a position; null when fewer entries remain. */
  private async windowEnd(em: EntityManager, tenantId: string, ids: string[], from: { receivedAt: string; id: string } | null, size: number): Promise<{ receivedAt: string; id: string } | null> {
    const r: { id: string; at: string }[] = await em.query(
      `SELECT e.id, to_char(e.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
         FROM mirror_entries e
        WHERE e.tenant_id = $1 AND e.mailbox_id = ANY($2::uuid[]) AND e.folder <> 'drafts'
              ${from ? 'AND (e.received_at, e.id) < ($3::timestamptz, $4::uuid)' : ''}
        ORDER BY e.received_at DESC, e.id DESC
        OFFSET ${size - 1} LIMIT 1`,
      from ? [tenantId, ids, from.receivedAt, from.id] : [tenantId, ids],
    );
    return r.length ? { receivedAt: r[0].at, id: r[0].id } : null;
  }

  /** Marks an entry read or unread (the IMAP \Seen flag), here only. */
  async setUnread(v: Viewer, entryId: string, unread: boolean): Promise<{ id: string; unread: boolean; note: string }> {
    if (!isUuid(entryId)) throw new MessageNotFoundError();
    const ids = await this.access.permittedIds(v);
    const rows: { id: string }[] = await this.ds.query(
      `UPDATE mirror_entries
          SET flags = CASE WHEN $4 THEN array_remove(flags, '${SEEN}')
                           WHEN '${SEEN}' = ANY (flags) THEN flags
                           ELSE array_append(flags, '${SEEN}') END
        WHERE id = $1 AND tenant_id = $2 AND mailbox_id = ANY($3::uuid[])
        RETURNING id`,
      [entryId, v.tenantId, ids, unread],
    ).then((r: [{ id: string }[], number] | { id: string }[]) => (Array.isArray(r[0]) ? (r[0] as { id: string }[]) : (r as { id: string }[])));
    if (!rows.length) throw new MessageNotFoundError();
    return { id: rows[0].id, unread, note: READ_STATE_NOTE };
  }

  /** Moves an entry to the trash, remembering its folder. Trashing twice is harmless. */
  async trash(v: Viewer, entryId: string): Promise<{ id: string; folder: 'trash'; trashedFrom: Folder; note: string }> {
    const entry = await this.entry(v, entryId);
    if (entry.folder === 'trash') return { id: entry.id, folder: 'trash', trashedFrom: entry.trashed_from as Folder, note: DELETION_NOTE };
    try {
      await this.ds.query(
        `UPDATE mirror_entries SET folder = 'trash', trashed_from = folder, trashed_at = now()
          WHERE id = $1 AND tenant_id = $2 AND mailbox_id = $3 AND folder <> 'trash'`,
        [entry.id, v.tenantId, entry.mailbox_id],
      );
      return { id: entry.id, folder: 'trash', trashedFrom: entry.folder, note: DELETION_NOTE };
    } catch (e) {
      if ((e as { code?: string }).code !== UNIQUE_VIOLATION) throw e;
      // The same message is already in this mailbox's trash (it was both sent and received here): one copy is enough.
      const other: { id: string; trashed_from: Folder }[] = await this.ds.query(
        `SELECT id, trashed_from FROM mirror_entries WHERE tenant_id = $1 AND mailbox_id = $2 AND message_id = $3 AND folder = 'trash'`,
        [v.tenantId, entry.mailbox_id, entry.message_id],
      );
      await this.ds.query(`DELETE FROM mirror_entries WHERE id = $1 AND tenant_id = $2`, [entry.id, v.tenantId]);
      return { id: other[0]?.id ?? entry.id, folder: 'trash', trashedFrom: other[0]?.trashed_from ?? entry.folder, note: DELETION_NOTE };
    }
  }

  /** Puts a trashed entry back where it came from. Restoring an entry not in the trash changes nothing. */
  async restore(v: Viewer, entryId: string): Promise<{ id: string; folder: Folder }> {
    const entry = await this.entry(v, entryId);
    if (entry.folder !== 'trash') return { id: entry.id, folder: entry.folder };
    const to = (entry.trashed_from ?? 'inbox') as Folder;
    try {
      await this.ds.query(
        `UPDATE mirror_entries SET folder = trashed_from, trashed_from = NULL, trashed_at = NULL
          WHERE id = $1 AND tenant_id = $2 AND mailbox_id = $3 AND folder = 'trash'`,
        [entry.id, v.tenantId, entry.mailbox_id],
      );
      return { id: entry.id, folder: to };
    } catch (e) {
      if ((e as { code?: string }).code !== UNIQUE_VIOLATION) throw e;
      // The message arrived again in that folder meanwhile: keep that entry, drop the trashed copy.
      const other: { id: string }[] = await this.ds.query(
        `SELECT id FROM mirror_entries WHERE tenant_id = $1 AND mailbox_id = $2 AND message_id = $3 AND folder = $4`,
        [v.tenantId, entry.mailbox_id, entry.message_id, to],
      );
      await this.ds.query(`DELETE FROM mirror_entries WHERE id = $1 AND tenant_id = $2`, [entry.id, v.tenantId]);
      return { id: other[0]?.id ?? entry.id, folder: to };
    }
  }

  /** The entry, if the viewer may read it. */
  async entry(v: Viewer, entryId: string): Promise<{ id: string; mailbox_id: string; message_id: string; folder: Folder; trashed_from: Folder | null; flags: string[] }> {
    if (!isUuid(entryId)) throw new MessageNotFoundError();
    const ids = await this.access.permittedIds(v);
    const rows = await this.ds.query(
      `SELECT id, mailbox_id, message_id, folder, trashed_from, flags FROM mirror_entries
        WHERE id = $1 AND tenant_id = $2 AND mailbox_id = ANY($3::uuid[])`,
      [entryId, v.tenantId, ids],
    );
    if (!rows.length) throw new MessageNotFoundError();
    return rows[0];
  }
}

export function isListedFolder(f: string): f is ListedFolder {
  return (LISTED_FOLDERS as string[]).includes(f);
}
