import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SCIM provisioning: the identity provider's own id of each user and group it
 * created (Entra's objectId, Okta's user id), and the bearer tokens an
 * identity provider uses, one or more per tenant. Only a SHA-256 of each
 * token is stored: tokens are 256 random bits, so a fast hash is enough.
 */
export class AddScimIdentity1764500005000 implements MigrationInterface {
  name = 'AddScimIdentity1764500005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mailboxes ADD COLUMN external_id text`);
    await q.query(`ALTER TABLE distribution_groups ADD COLUMN external_id text`);
    // One identity-provider object maps to one entry per tenant.
    await q.query(`CREATE UNIQUE INDEX mailboxes_external_id_uq ON mailboxes (tenant_id, external_id) WHERE external_id IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX distribution_groups_external_id_uq ON distribution_groups (tenant_id, external_id) WHERE external_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE scim_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL DEFAULT '',
        token_sha256 text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
        prefix text NOT NULL,
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX scim_tokens_tenant_idx ON scim_tokens (tenant_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE scim_tokens`);
    await q.query(`DROP INDEX distribution_groups_external_id_uq`);
    await q.query(`DROP INDEX mailboxes_external_id_uq`);
    await q.query(`ALTER TABLE distribution_groups DROP COLUMN external_id`);
    await q.query(`ALTER TABLE mailboxes DROP COLUMN external_id`);
  }
}
