import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What continuity mode needs to decide and to remember: per-tenant policy and
 * detection settings beside the mode (with a version for compare-and-set),
 * the tenant's admins, the audit log of transitions, what probes and
 * deliveries observed per upstream, and the global circuit breaker.
 */
export class AddContinuityControl1764172800000 implements MigrationInterface {
  name = 'AddContinuityControl1764172800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tenants
        ADD COLUMN upstream_kind text NOT NULL DEFAULT 'on-premises' CHECK (upstream_kind IN ('on-premises','exchange-online')),
        -- NULL: not chosen; the default follows upstream_kind (confirm for Exchange Online, automatic otherwise).
        ADD COLUMN continuity_policy text CHECK (continuity_policy IN ('automatic','confirm','manual')),
        ADD COLUMN probe_interval_seconds integer NOT NULL DEFAULT 30 CHECK (probe_interval_seconds BETWEEN 1 AND 3600),
        ADD COLUMN failure_threshold integer NOT NULL DEFAULT 4 CHECK (failure_threshold BETWEEN 1 AND 1000),
        ADD COLUMN failure_window_seconds integer NOT NULL DEFAULT 120 CHECK (failure_window_seconds BETWEEN 0 AND 86400),
        ADD COLUMN hysteresis_seconds integer NOT NULL DEFAULT 600 CHECK (hysteresis_seconds BETWEEN 0 AND 604800),
        ADD COLUMN auto_switch_back boolean NOT NULL DEFAULT false,
        ADD COLUMN healthy_before_switch_back_seconds integer NOT NULL DEFAULT 900 CHECK (healthy_before_switch_back_seconds BETWEEN 0 AND 604800),
        ADD COLUMN confirm_timeout_seconds integer CHECK (confirm_timeout_seconds BETWEEN 0 AND 604800),
        -- Probes add RCPT TO:<canary_address> after EHLO when set (Exchange Online answers EHLO even when mailboxes are unreachable).
        ADD COLUMN canary_address text,
        ADD COLUMN mode_changed_at timestamptz,
        ADD COLUMN mode_version integer NOT NULL DEFAULT 0,
        ADD COLUMN activation_requested_at timestamptz`);

    await q.query(`
      CREATE TABLE tenant_admins (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        mobile_e164 text CHECK (mobile_e164 ~ '^\\+[1-9][0-9]{6,14}$'),
        email text CHECK (email = lower(email) AND email LIKE '%_@_%'),
        language text NOT NULL DEFAULT 'en' CHECK (language IN ('en','de')),
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (mobile_e164 IS NOT NULL OR email IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX tenant_admins_tenant_idx ON tenant_admins (tenant_id)`);

    await q.query(`
      CREATE TABLE continuity_transitions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        from_mode text NOT NULL,
        to_mode text NOT NULL,
        event text NOT NULL,
        actor text NOT NULL,
        reason text NOT NULL DEFAULT '',
        drill_mailbox_ids uuid[],
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        effects_completed_at timestamptz,
        effects_error text,
        effects_attempts integer NOT NULL DEFAULT 0,
        effects_attempted_at timestamptz
      )`);
    await q.query(`CREATE INDEX continuity_transitions_tenant_idx ON continuity_transitions (tenant_id, created_at DESC)`);
    await q.query(`CREATE INDEX continuity_transitions_pending_idx ON continuity_transitions (created_at) WHERE effects_completed_at IS NULL`);

    // One row per upstream: when it is next probed, and the streak that probes and deliveries have observed.
    await q.query(`
      CREATE TABLE upstream_health (
        upstream_id uuid PRIMARY KEY REFERENCES upstreams(id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        next_probe_at timestamptz NOT NULL DEFAULT now(),
        last_probed_at timestamptz,
        last_observed_at timestamptz,
        last_ok boolean,
        last_detail text,
        consecutive_failures integer NOT NULL DEFAULT 0,
        first_failure_at timestamptz,
        last_failure_at timestamptz,
        healthy_since timestamptz
      )`);
    await q.query(`CREATE INDEX upstream_health_due_idx ON upstream_health (next_probe_at)`);
    await q.query(`CREATE INDEX upstream_health_tenant_idx ON upstream_health (tenant_id)`);

    await q.query(`
      CREATE TABLE upstream_observations (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        upstream_id uuid NOT NULL REFERENCES upstreams(id) ON DELETE CASCADE,
        source text NOT NULL CHECK (source IN ('probe','delivery')),
        ok boolean NOT NULL,
        detail text NOT NULL DEFAULT '',
        observed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX upstream_observations_recent_idx ON upstream_observations (upstream_id, observed_at DESC)`);
    await q.query(`CREATE INDEX upstream_observations_age_idx ON upstream_observations (observed_at)`);

    await q.query(`
      CREATE TABLE continuity_circuit_breaker (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        state text NOT NULL DEFAULT 'closed' CHECK (state IN ('closed','open')),
        tripped_at timestamptz,
        override text NOT NULL DEFAULT 'auto' CHECK (override IN ('auto','force-closed','force-open')),
        reason text NOT NULL DEFAULT '',
        failing_tenants integer NOT NULL DEFAULT 0,
        tenants_with_upstreams integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO continuity_circuit_breaker (id) VALUES (true)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['continuity_circuit_breaker', 'upstream_observations', 'upstream_health', 'continuity_transitions', 'tenant_admins']) await q.query(`DROP TABLE IF EXISTS ${t}`);
    await q.query(`
      ALTER TABLE tenants
        DROP COLUMN upstream_kind, DROP COLUMN continuity_policy, DROP COLUMN probe_interval_seconds, DROP COLUMN failure_threshold,
        DROP COLUMN failure_window_seconds, DROP COLUMN hysteresis_seconds, DROP COLUMN auto_switch_back,
        DROP COLUMN healthy_before_switch_back_seconds, DROP COLUMN confirm_timeout_seconds, DROP COLUMN canary_address,
        DROP COLUMN mode_changed_at, DROP COLUMN mode_version, DROP COLUMN activation_requested_at`);
  }
}
