import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbound connectors: how a tenant's Exchange proves it may relay through our
 * smarthost (source networks and/or SMTP AUTH, the secret stored only as a
 * scrypt hash) and the per-tenant rate limits that keep a compromised mailbox
 * from turning us into a spam cannon. Messages gain the 'journal' direction:
 * originals taken from the tenant's journal reports, mirrored but never delivered.
 */
export class AddOutboundConnectors1764172803000 implements MigrationInterface {
  name = 'AddOutboundConnectors1764172803000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbound_connectors (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
        source_cidrs cidr[] NOT NULL DEFAULT '{}',
        auth_username text UNIQUE,
        auth_password_hash text,
        require_tls boolean NOT NULL DEFAULT true,
        messages_per_minute integer NOT NULL DEFAULT 300 CHECK (messages_per_minute BETWEEN 1 AND 1000000),
        recipients_per_minute integer NOT NULL DEFAULT 3000 CHECK (recipients_per_minute BETWEEN 1 AND 10000000),
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name),
        CHECK ((auth_username IS NULL) = (auth_password_hash IS NULL)),
        CHECK (cardinality(source_cidrs) > 0 OR auth_username IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX outbound_connectors_tenant_idx ON outbound_connectors (tenant_id)`);
    await q.query(`ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_direction_check`);
    await q.query(`ALTER TABLE messages ADD CONSTRAINT messages_direction_check CHECK (direction IN ('inbound','outbound','dsn','journal'))`);
    // A journal report that could not be taken apart is kept whole and marked, so an operator can find it.
    await q.query(`ALTER TABLE messages ADD COLUMN journal_state text CHECK (journal_state IN ('parsed','unparsed'))`);
    await q.query(`CREATE INDEX messages_unparsed_journal_idx ON messages (tenant_id, received_at) WHERE journal_state = 'unparsed'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS messages_unparsed_journal_idx`);
    await q.query(`ALTER TABLE messages DROP COLUMN IF EXISTS journal_state`);
    await q.query(`DELETE FROM messages WHERE direction = 'journal'`);
    await q.query(`ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_direction_check`);
    await q.query(`ALTER TABLE messages ADD CONSTRAINT messages_direction_check CHECK (direction IN ('inbound','outbound','dsn'))`);
    await q.query(`DROP TABLE IF EXISTS outbound_connectors`);
  }
}
