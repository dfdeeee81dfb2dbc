import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Employees' webmail passwords, sessions and sign-ins. A mailbox has at most
 * one account (its password, set after the first sign-in with a one-time
 * credential). Sessions keep only a sha256 of their token. Every sign-in is
 * recorded for the readiness report.
 */
export class AddWebmailAccounts1764500002000 implements MigrationInterface {
  name = 'AddWebmailAccounts1764500002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webmail_accounts (
        mailbox_id uuid PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        password_hash text,
        password_set_at timestamptz,
        last_signin_at timestamptz,
        failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
        locked_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webmail_accounts_tenant_idx ON webmail_accounts (tenant_id)`);
    await q.query(`
      CREATE TABLE webmail_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_sha256 bytea NOT NULL UNIQUE,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        csrf_token text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        idle_expires_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        ip text,
        user_agent text
      )`);
    await q.query(`CREATE INDEX webmail_sessions_mailbox_idx ON webmail_sessions (tenant_id, mailbox_id)`);
    await q.query(`CREATE INDEX webmail_sessions_expires_idx ON webmail_sessions (expires_at)`);
    await q.query(`
      CREATE TABLE webmail_signins (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        method text NOT NULL CHECK (method IN ('code','link','password')),
        ip text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webmail_signins_tenant_idx ON webmail_signins (tenant_id, created_at)`);
    await q.query(`CREATE INDEX webmail_signins_mailbox_idx ON webmail_signins (mailbox_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS webmail_signins`);
    await q.query(`DROP TABLE IF EXISTS webmail_sessions`);
    await q.query(`DROP TABLE IF EXISTS webmail_accounts`);
  }
}
