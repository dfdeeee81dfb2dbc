import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who may use a shared mailbox (mailboxes.kind = 'shared'): members read it
 * in the webmail, and may send as it when can_send_as is set.
 */
export class AddSharedMailboxAccess1764499999000 implements MigrationInterface {
  name = 'AddSharedMailboxAccess1764499999000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE shared_mailbox_members (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        shared_mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        member_mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        can_send_as boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (shared_mailbox_id, member_mailbox_id),
        CHECK (shared_mailbox_id <> member_mailbox_id)
      )`);
    await q.query(`CREATE INDEX shared_mailbox_members_member_idx ON shared_mailbox_members (member_mailbox_id)`);
    await q.query(`CREATE INDEX shared_mailbox_members_tenant_idx ON shared_mailbox_members (tenant_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE shared_mailbox_members`);
  }
}
