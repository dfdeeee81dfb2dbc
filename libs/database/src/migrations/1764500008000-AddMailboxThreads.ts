import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conversations as mail clients build them (JWZ, simplified), per mailbox.
 *
 * The generated `messages.thread_key` (the hash of the first References id)
 * split a conversation when a client trimmed References, left a reply with
 * only In-Reply-To alone, and could not join a parent that arrived after its
 * reply. Now a mirror entry belongs to the conversation of every entry in the
 * same mailbox with which it shares a Message-ID: its own, its In-Reply-To or
 * any of its References (so two replies to a parent this mailbox never got
 * still meet at that parent's id). A subject never joins anything.
 *
 * - `mirror_entries.thread_refs`: those ids of the entry's message, lower
 *   case, with a GIN index to find the entries that share one (NULL while
 *   none are known: the entries table is read by every list and search, so
 *   its rows stay narrow).
 * - `mirror_entries.thread_id`: the conversation (a uuid, shown as 32 hex
 *   digits), with an index per mailbox for the conversation view.
 *
 * Kept by triggers, so every writer (the MX, the indexer, the webmail's own
 * sent mail, notices) threads without knowing about it, as the generated
 * column did: when an entry is added for a message whose ids are known, and
 * when a message's ids are written (the index job, usually after the entry).
 * A message joining two conversations merges them into the one with the
 * smaller id. Work on one mailbox's conversations is serialized by a
 * transaction-scoped advisory lock on the mailbox (taken in mailbox order
 * within a statement), so a reply and its parent indexed at the same time
 * cannot both miss each other: the second waits for the first to commit and
 * then sees its ids (every statement of the trigger function reads a fresh
 * snapshot under read committed). Mail accepted by the MX has no ids yet, so
 * the accepting transaction takes no lock. Conversations never split: an
 * entry that leaves (trash, retention) leaves the others as they were.
 *
 * Existing entries start from the old key (so links to conversations keep
 * working) and are merged by propagating the smallest id over shared
 * Message-IDs until nothing changes.
 */
export class AddMailboxThreads1764500008000 implements MigrationInterface {
  name = 'AddMailboxThreads1764500008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION mirror_thread_refs(message_id_header text, in_reply_to text, references_ids text[]) RETURNS text[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT array_agg(DISTINCT lower(x)) FILTER (WHERE x IS NOT NULL AND x <> '')
          FROM unnest(coalesce(references_ids, '{}'::text[]) || ARRAY[in_reply_to, message_id_header]) AS x
      $$`);
    await q.query(`
      ALTER TABLE mirror_entries
        ADD COLUMN thread_refs text[],
        ADD COLUMN thread_id uuid`);
    await q.query(`
      UPDATE mirror_entries e
         SET thread_refs = mirror_thread_refs(m.message_id_header, m.in_reply_to, m.references_ids), thread_id = m.thread_key::uuid
        FROM messages m
       WHERE m.id = e.message_id`);
    await q.query(`UPDATE mirror_entries SET thread_id = gen_random_uuid() WHERE thread_id IS NULL`);
    // Entries written with triggers off (a restore, session_replication_role = replica) still get a conversation of their own.
    await q.query(`ALTER TABLE mirror_entries ALTER COLUMN thread_id SET DEFAULT gen_random_uuid(), ALTER COLUMN thread_id SET NOT NULL`);
    await q.query(`
      DO $$
      DECLARE changed bigint;
      BEGIN
        LOOP
          WITH per_ref AS (
            SELECT e.mailbox_id, r.ref, min(e.thread_id::text)::uuid AS thread_id
              FROM mirror_entries e CROSS JOIN LATERAL unnest(e.thread_refs) AS r(ref)
             GROUP BY e.mailbox_id, r.ref
          ), best AS (
            SELECT e.id, min(p.thread_id::text)::uuid AS thread_id
              FROM mirror_entries e CROSS JOIN LATERAL unnest(e.thread_refs) AS r(ref)
              JOIN per_ref p ON p.mailbox_id = e.mailbox_id AND p.ref = r.ref
             GROUP BY e.id
          )
          UPDATE mirror_entries e SET thread_id = best.thread_id FROM best WHERE best.id = e.id AND best.thread_id < e.thread_id;
          GET DIAGNOSTICS changed = ROW_COUNT;
          EXIT WHEN changed = 0;
        END LOOP;
      END $$`);
    await q.query(`CREATE INDEX mirror_entries_thread_idx ON mirror_entries (mailbox_id, thread_id) INCLUDE (tenant_id)`);
    await q.query(`CREATE INDEX mirror_entries_thread_refs_idx ON mirror_entries USING gin (thread_refs)`);

    // Joins entry `entry` of `mailbox` (whose ids are `refs`) with every conversation in the mailbox sharing one of them.
    await q.query(`
      CREATE FUNCTION mirror_thread_join(p_tenant uuid, p_mailbox uuid, p_entry uuid, p_refs text[]) RETURNS void
      LANGUAGE plpgsql AS $$
      DECLARE
        found uuid[];
        survivor uuid;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('mc:threads'), hashtext(p_mailbox::text));
        UPDATE mirror_entries SET thread_refs = p_refs WHERE id = p_entry AND tenant_id = p_tenant AND thread_refs IS DISTINCT FROM p_refs;
        IF p_refs IS NULL THEN
          RETURN;
        END IF;
        SELECT array_agg(DISTINCT t) INTO found FROM (
          SELECT thread_id FROM mirror_entries WHERE id = p_entry
          UNION
          SELECT thread_id FROM mirror_entries WHERE thread_refs && p_refs AND mailbox_id = p_mailbox AND tenant_id = p_tenant
        ) AS x(t);
        IF cardinality(found) > 1 THEN
          SELECT min(x::text)::uuid INTO survivor FROM unnest(found) AS x;  -- (no min() for uuid)
          UPDATE mirror_entries SET thread_id = survivor
           WHERE mailbox_id = p_mailbox AND tenant_id = p_tenant AND thread_id = ANY(found) AND thread_id <> survivor;
        END IF;
      END $$`);
    await q.query(`
      CREATE FUNCTION mirror_entries_thread_added() RETURNS trigger
      LANGUAGE plpgsql AS $$
      DECLARE r record;
      BEGIN
        -- An index job writing these messages' ids right now has committed when this lock is granted (the query
        -- below then sees its ids); one that starts later waits for this transaction, and its trigger sees these entries.
        PERFORM 1 FROM messages m WHERE m.id IN (SELECT a.message_id FROM added a) ORDER BY m.id FOR SHARE;
        FOR r IN
          SELECT a.id, a.tenant_id, a.mailbox_id, mirror_thread_refs(m.message_id_header, m.in_reply_to, m.references_ids) AS refs
            FROM added a JOIN messages m ON m.id = a.message_id AND m.tenant_id = a.tenant_id
           WHERE m.message_id_header IS NOT NULL OR m.in_reply_to IS NOT NULL OR m.references_ids IS NOT NULL
           ORDER BY a.mailbox_id, a.id
        LOOP
          PERFORM mirror_thread_join(r.tenant_id, r.mailbox_id, r.id, r.refs);
        END LOOP;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER mirror_entries_thread_added AFTER INSERT ON mirror_entries
      REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION mirror_entries_thread_added()`);
    await q.query(`
      CREATE FUNCTION messages_thread_ids_changed() RETURNS trigger
      LANGUAGE plpgsql AS $$
      DECLARE
        r record;
        refs text[] := mirror_thread_refs(NEW.message_id_header, NEW.in_reply_to, NEW.references_ids);
      BEGIN
        FOR r IN SELECT id, mailbox_id FROM mirror_entries WHERE message_id = NEW.id AND tenant_id = NEW.tenant_id ORDER BY mailbox_id, id LOOP
          PERFORM mirror_thread_join(NEW.tenant_id, r.mailbox_id, r.id, refs);
        END LOOP;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER messages_thread_ids_changed AFTER UPDATE OF message_id_header, in_reply_to, references_ids ON messages
      FOR EACH ROW WHEN (OLD.message_id_header IS DISTINCT FROM NEW.message_id_header OR OLD.in_reply_to IS DISTINCT FROM NEW.in_reply_to
                         OR OLD.references_ids IS DISTINCT FROM NEW.references_ids)
      EXECUTE FUNCTION messages_thread_ids_changed()`);

    await q.query(`DROP INDEX IF EXISTS messages_thread_idx`);
    await q.query(`ALTER TABLE messages DROP COLUMN IF EXISTS thread_key`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE messages ADD COLUMN IF NOT EXISTS thread_key text GENERATED ALWAYS AS (
        md5(lower(coalesce(references_ids[1], in_reply_to, message_id_header, id::text)))
      ) STORED`);
    await q.query(`CREATE INDEX IF NOT EXISTS messages_thread_idx ON messages (tenant_id, thread_key)`);
    await q.query(`DROP TRIGGER IF EXISTS messages_thread_ids_changed ON messages`);
    await q.query(`DROP TRIGGER IF EXISTS mirror_entries_thread_added ON mirror_entries`);
    await q.query(`DROP FUNCTION IF EXISTS messages_thread_ids_changed()`);
    await q.query(`DROP FUNCTION IF EXISTS mirror_entries_thread_added()`);
    await q.query(`DROP FUNCTION IF EXISTS mirror_thread_join(uuid, uuid, uuid, text[])`);
    await q.query(`DROP INDEX IF EXISTS mirror_entries_thread_refs_idx`);
    await q.query(`DROP INDEX IF EXISTS mirror_entries_thread_idx`);
    await q.query(`ALTER TABLE mirror_entries DROP COLUMN IF EXISTS thread_id, DROP COLUMN IF EXISTS thread_refs`);
    await q.query(`DROP FUNCTION IF EXISTS mirror_thread_refs(text, text, text[])`);
  }
}
