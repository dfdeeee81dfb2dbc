import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Texts to send (the SMS queue of record) and one-time credentials. Neither
 * table ever holds a code or a link token in plaintext: a credential is
 * generated inside the send job and only its HMACs are stored.
 */
export class AddCredentialsAndSms1764172801000 implements MigrationInterface {
  name = 'AddCredentialsAndSms1764172801000';

  async up(q: QueryRunner): Promise<void> {
    // The continuity migration may already have added it; texts and mails follow it.
    await q.query(`ALTER TABLE tenants ADD COLUMN IF NOT EXISTS language text NOT NULL DEFAULT 'en' CHECK (language IN ('en','de'))`);
    await q.query(`
      CREATE TABLE sms_messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        mailbox_id uuid REFERENCES mailboxes(id) ON DELETE CASCADE,
        admin_id uuid,
        to_e164 text NOT NULL CHECK (to_e164 ~ '^\\+[1-9][0-9]{6,14}$'),
        kind text NOT NULL CHECK (kind IN ('credentials','back-to-normal','admin-alert')),
        language text NOT NULL DEFAULT 'en' CHECK (language IN ('en','de')),
        params jsonb NOT NULL DEFAULT '{}',
        dedupe_key text UNIQUE,
        state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','sending','sent','delivered','failed','undelivered','capped')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_owner text,
        lease_expires_at timestamptz,
        counted_at timestamptz,
        provider_sid text,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        status_at timestamptz,
        CHECK (mailbox_id IS NOT NULL OR admin_id IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX sms_messages_tenant_idx ON sms_messages (tenant_id, created_at)`);
    await q.query(`CREATE INDEX sms_messages_due_idx ON sms_messages (next_attempt_at) WHERE state IN ('queued','sending')`);
    await q.query(`CREATE INDEX sms_messages_counted_idx ON sms_messages (tenant_id, counted_at) WHERE counted_at IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX sms_messages_provider_sid_idx ON sms_messages (provider_sid) WHERE provider_sid IS NOT NULL`);
    // One counter per tenant and clock hour: the cap is a compare-and-set on it, and alerted_at makes the admins' alert once per hour.
    await q.query(`
      CREATE TABLE sms_cap_windows (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        window_start timestamptz NOT NULL,
        used integer NOT NULL DEFAULT 0,
        alerted_at timestamptz,
        PRIMARY KEY (tenant_id, window_start)
      )`);
    await q.query(`
      CREATE TABLE credentials (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        channel text NOT NULL CHECK (channel IN ('sms','email')),
        sms_message_id uuid REFERENCES sms_messages(id) ON DELETE SET NULL,
        code_hmac text NOT NULL,
        link_token_hmac text NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        used_at timestamptz,
        superseded_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX credentials_live_idx ON credentials (mailbox_id) WHERE used_at IS NULL AND superseded_at IS NULL`);
    await q.query(`CREATE INDEX credentials_tenant_idx ON credentials (tenant_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS credentials`);
    await q.query(`DROP TABLE IF EXISTS sms_cap_windows`);
    await q.query(`DROP TABLE IF EXISTS sms_messages`);
  }
}
