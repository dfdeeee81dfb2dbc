import { MigrationInterface, QueryRunner } from 'typeorm';

/** Admin users (operators, tenant admins, viewers), their sessions and TOTP, API keys, and the admin audit log. */
export class AddAdminAccess1764500000000 implements MigrationInterface {
  name = 'AddAdminAccess1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
        email text NOT NULL,
        name text NOT NULL,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('operator', 'admin', 'viewer')),
        -- AES-256-GCM (v1.iv.tag.ct), bound to the user's id; never stored in clear.
        totp_secret_enc text,
        totp_enabled_at timestamptz,
        -- The last accepted TOTP time step, so a code cannot be used twice.
        totp_last_step bigint,
        failed_attempts int NOT NULL DEFAULT 0,
        locked_until timestamptz,
        last_login_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT admin_users_email_lower CHECK (email = lower(email)),
        -- Only a provider operator belongs to no tenant; every tenant admin or viewer belongs to exactly one.
        CONSTRAINT admin_users_tenant_by_role CHECK ((role = 'operator') = (tenant_id IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX admin_users_email_key ON admin_users (email)`);
    await q.query(`CREATE INDEX admin_users_tenant_idx ON admin_users (tenant_id)`);

    await q.query(`
      CREATE TABLE admin_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES admin_users(id) ON DELETE CASCADE,
        -- sha256 of the cookie's token; the token itself is only ever in the browser.
        token_hash bytea NOT NULL UNIQUE,
        csrf_token text NOT NULL,
        mfa_passed_at timestamptz,
        ip text,
        user_agent text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX admin_sessions_user_idx ON admin_sessions (user_id)`);
    await q.query(`CREATE INDEX admin_sessions_expires_idx ON admin_sessions (expires_at)`);

    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'viewer')),
        -- The visible part (mcak_xxxxxxxx) to tell keys apart and to find the row; the rest is only hashed.
        prefix text NOT NULL UNIQUE,
        secret_hash bytea NOT NULL,
        created_by uuid REFERENCES admin_users(id) ON DELETE SET NULL,
        created_by_name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at)`);

    await q.query(`
      CREATE TABLE admin_audit_log (
        id bigserial PRIMARY KEY,
        tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
        actor_kind text NOT NULL CHECK (actor_kind IN ('session', 'api_key', 'anonymous', 'cli')),
        actor_id uuid,
        actor_name text NOT NULL,
        action text NOT NULL,
        target text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        ip text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX admin_audit_log_tenant_time_idx ON admin_audit_log (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX admin_audit_log_time_idx ON admin_audit_log (created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS admin_audit_log`);
    await q.query(`DROP TABLE IF EXISTS api_keys`);
    await q.query(`DROP TABLE IF EXISTS admin_sessions`);
    await q.query(`DROP TABLE IF EXISTS admin_users`);
  }
}
