import { MigrationInterface, QueryRunner } from 'typeorm';

/** Drafts, uploaded attachments and mail sent from the webmail, kept for the copy back to Exchange. */
export class AddWebmailSending1764500004000 implements MigrationInterface {
  name = 'AddWebmailSending1764500004000';

  async up(q: QueryRunner): Promise<void> {
    // A draft belongs to the employee who writes it (mailbox_id); from_mailbox_id is whom it is sent as
    // (the employee's own mailbox or a shared one they may send as, checked again at send).
    await q.query(`
      CREATE TABLE webmail_drafts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        from_mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        to_addr jsonb NOT NULL DEFAULT '[]',
        cc_addr jsonb NOT NULL DEFAULT '[]',
        bcc_addr jsonb NOT NULL DEFAULT '[]',
        subject text NOT NULL DEFAULT '',
        body_text text NOT NULL DEFAULT '',
        mode text NOT NULL DEFAULT 'new' CHECK (mode IN ('new','reply','replyAll','forward')),
        -- the mirror entry replied to or forwarded; no foreign key: retention may purge it before the draft is sent
        in_reply_to_entry_id uuid,
        in_reply_to text,
        references_ids text[] NOT NULL DEFAULT '{}',
        -- set while a send is in progress, so a second click cannot send the draft twice
        sending_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webmail_drafts_mailbox_idx ON webmail_drafts (tenant_id, mailbox_id, updated_at DESC)`);
    // Files uploaded to a draft live in the blob store under the tenant; the retention job's orphan
    // sweep treats a key named here as referenced.
    await q.query(`
      CREATE TABLE webmail_draft_attachments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        draft_id uuid NOT NULL REFERENCES webmail_drafts(id) ON DELETE CASCADE,
        blob_key text NOT NULL UNIQUE,
        filename text NOT NULL,
        content_type text NOT NULL,
        size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webmail_draft_attachments_draft_idx ON webmail_draft_attachments (draft_id)`);
    await q.query(`CREATE INDEX webmail_draft_attachments_tenant_idx ON webmail_draft_attachments (tenant_id)`);
    // Every message sent from the webmail: who wrote it and as whom. The message itself is an
    // ordinary outbound message (deliveries, mirror entries); its copy back to the sender's
    // Exchange is a delivery with purpose 'copy-back'.
    await q.query(`
      CREATE TABLE webmail_sent_messages (
        message_id uuid PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        author_mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        from_mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        mode text NOT NULL CHECK (mode IN ('new','reply','replyAll','forward')),
        recipients integer NOT NULL,
        sent_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webmail_sent_messages_author_idx ON webmail_sent_messages (tenant_id, author_mailbox_id, sent_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS webmail_sent_messages`);
    await q.query(`DROP TABLE IF EXISTS webmail_draft_attachments`);
    await q.query(`DROP TABLE IF EXISTS webmail_drafts`);
  }
}
