import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DKIM keys we generate per tenant and domain (private keys encrypted at
 * rest), the tenant and domain settings that decide signing and what a DMARC
 * failure does, and the inbound authentication result of each message, which
 * the webmail shows.
 */
export class AddDkimAndAuthResults1764172804000 implements MigrationInterface {
  name = 'AddDkimAndAuthResults1764172804000';

  async up(q: QueryRunner): Promise<void> {
    // tenant_id NULL: a key of the service's own domain (MX_HOSTNAME), which signs DSNs and notifications.
    await q.query(`
      CREATE TABLE dkim_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
        domain text NOT NULL CHECK (domain = lower(domain) AND domain !~ '\\.$'),
        selector text NOT NULL CHECK (selector ~ '^[a-z0-9][a-z0-9-]*$'),
        algorithm text NOT NULL CHECK (algorithm IN ('rsa','ed25519')),
        key_bits integer,
        public_key text NOT NULL,
        private_key_enc text NOT NULL,
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','active','retiring','retired')),
        created_at timestamptz NOT NULL DEFAULT now(),
        published_seen_at timestamptz,
        activated_at timestamptz,
        retiring_since timestamptz,
        retired_at timestamptz,
        UNIQUE (domain, selector)
      )`);
    await q.query(`CREATE INDEX dkim_keys_tenant_idx ON dkim_keys (tenant_id)`);
    await q.query(`CREATE INDEX dkim_keys_live_idx ON dkim_keys (domain) WHERE state <> 'retired'`);
    // At most one active key per domain and algorithm: that is the key that signs.
    await q.query(`CREATE UNIQUE INDEX dkim_keys_one_active_idx ON dkim_keys (domain, algorithm) WHERE state = 'active'`);
    await q.query(`ALTER TABLE tenant_domains ADD COLUMN sign_outbound boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE tenants ADD COLUMN reject_on_dmarc_fail boolean NOT NULL DEFAULT false`);
    await q.query(`
      ALTER TABLE messages
        ADD COLUMN sign_dkim boolean NOT NULL DEFAULT false,
        ADD COLUMN auth_results text,
        ADD COLUMN auth_summary jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages DROP COLUMN IF EXISTS auth_summary, DROP COLUMN IF EXISTS auth_results, DROP COLUMN IF EXISTS sign_dkim`);
    await q.query(`ALTER TABLE tenants DROP COLUMN IF EXISTS reject_on_dmarc_fail`);
    await q.query(`ALTER TABLE tenant_domains DROP COLUMN IF EXISTS sign_outbound`);
    await q.query(`DROP TABLE IF EXISTS dkim_keys`);
  }
}
