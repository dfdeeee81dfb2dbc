import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trash and drafts in the standby mailboxes, threads, and what the reading
 * queries need.
 *
 * - A mirror entry moved to the trash remembers its folder (`trashed_from`) so
 *   it can be restored; drafts belong to the webmail's compose side.
 * - `messages.thread_key` groups a conversation: the hash of its root
 *   Message-ID (the first References id, else In-Reply-To, else the message's
 *   own Message-ID, else its row id). A stored generated column, so every
 *   writer (the MX, the indexer, the webmail's own sent mail) gets it without
 *   knowing about it, and existing rows are filled by this migration.
 * - Message lists page by keyset (received_at, id) inside one folder of one
 *   mailbox; unread counts read a partial index of the unread entries only.
 *   Both carry tenant_id (INCLUDE) so the tenant check of every query is
 *   answered from the index and counts stay index-only scans; the page index
 *   also carries message_id, so search can match a mailbox's entries against
 *   full-text hits without reading the entries' rows.
 * - Full-text search is always scoped by tenant: a GIN index over
 *   (tenant_id, search_vector) (btree_gin) lets Postgres intersect the
 *   tenant's posting list with the words', instead of matching every
 *   tenant's messages and filtering afterwards; it replaces the plain GIN.
 */
export class AddWebmailFolders1764500003000 implements MigrationInterface {
  name = 'AddWebmailFolders1764500003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mirror_entries DROP CONSTRAINT IF EXISTS mirror_entries_folder_check`);
    await q.query(`ALTER TABLE mirror_entries ADD CONSTRAINT mirror_entries_folder_check CHECK (folder IN ('inbox','sent','trash','drafts'))`);
    await q.query(`
      ALTER TABLE mirror_entries
        ADD COLUMN trashed_from text CHECK (trashed_from IN ('inbox','sent','drafts')),
        ADD COLUMN trashed_at timestamptz,
        ADD CONSTRAINT mirror_entries_trash_origin_check CHECK ((folder = 'trash') = (trashed_from IS NOT NULL))`);
    await q.query(`DROP INDEX IF EXISTS mirror_entries_list_idx`);
    await q.query(`CREATE INDEX mirror_entries_page_idx ON mirror_entries (mailbox_id, folder, received_at DESC, id DESC) INCLUDE (tenant_id, message_id)`);
    await q.query(`CREATE INDEX mirror_entries_unread_idx ON mirror_entries (mailbox_id, folder) INCLUDE (tenant_id) WHERE NOT ('\\Seen' = ANY (flags))`);

    await q.query(`
      ALTER TABLE messages ADD COLUMN thread_key text GENERATED ALWAYS AS (
        md5(lower(coalesce(references_ids[1], in_reply_to, message_id_header, id::text)))
      ) STORED`);
    await q.query(`CREATE INDEX messages_thread_idx ON messages (tenant_id, thread_key)`);

    await q.query(`CREATE EXTENSION IF NOT EXISTS btree_gin`);
    await q.query(`CREATE INDEX messages_search_tenant_idx ON messages USING gin (tenant_id, search_vector)`);
    await q.query(`DROP INDEX IF EXISTS messages_search_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS messages_search_idx ON messages USING gin (search_vector)`);
    await q.query(`DROP INDEX IF EXISTS messages_search_tenant_idx`);
    await q.query(`DROP INDEX IF EXISTS messages_thread_idx`);
    await q.query(`ALTER TABLE messages DROP COLUMN IF EXISTS thread_key`);
    await q.query(`DROP INDEX IF EXISTS mirror_entries_unread_idx`);
    await q.query(`DROP INDEX IF EXISTS mirror_entries_page_idx`);
    await q.query(`CREATE INDEX IF NOT EXISTS mirror_entries_list_idx ON mirror_entries (mailbox_id, folder, received_at DESC)`);
    // Entries in folders the old schema does not know go back where they came from, or go.
    await q.query(`ALTER TABLE mirror_entries DROP CONSTRAINT IF EXISTS mirror_entries_trash_origin_check`);
    await q.query(`
      UPDATE mirror_entries t SET folder = t.trashed_from
       WHERE t.folder = 'trash' AND t.trashed_from IN ('inbox','sent')
         AND NOT EXISTS (SELECT 1 FROM mirror_entries o WHERE o.mailbox_id = t.mailbox_id AND o.message_id = t.message_id AND o.folder = t.trashed_from)`);
    await q.query(`DELETE FROM mirror_entries WHERE folder NOT IN ('inbox','sent')`);
    await q.query(`ALTER TABLE mirror_entries DROP COLUMN IF EXISTS trashed_at, DROP COLUMN IF EXISTS trashed_from`);
    await q.query(`ALTER TABLE mirror_entries DROP CONSTRAINT IF EXISTS mirror_entries_folder_check`);
    await q.query(`ALTER TABLE mirror_entries ADD CONSTRAINT mirror_entries_folder_check CHECK (folder IN ('inbox','sent'))`);
  }
}
