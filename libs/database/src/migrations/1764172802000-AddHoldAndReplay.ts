import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Holding and replay of a tenant's inbound deliveries during continuity mode,
 * copies back to the sender's Exchange, and one row per continuity event that
 * carries the replay's pacing and, when the event ends, its reconciliation report.
 */
export class AddHoldAndReplay1764172802000 implements MigrationInterface {
  name = 'AddHoldAndReplay1764172802000';

  async up(q: QueryRunner): Promise<void> {
    // 'suppressed': a held recipient that had already received the same message (same Message-ID) and is not sent again.
    await q.query(`ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_state_check`);
    await q.query(`ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check CHECK (state IN ('queued','deferred','held','delivered','bounced','expired','suppressed'))`);
    await q.query(`
      ALTER TABLE deliveries
        ADD COLUMN held_at timestamptz,
        ADD COLUMN held_remaining_seconds integer CHECK (held_remaining_seconds >= 0),
        ADD COLUMN released_at timestamptz,
        ADD COLUMN purpose text NOT NULL DEFAULT 'recipient' CHECK (purpose IN ('recipient','copy-back')),
        ADD COLUMN duplicate_of uuid`);
    // The replay takes a tenant's held rows batch by batch; only held rows are in this index.
    await q.query(`CREATE INDEX deliveries_held_idx ON deliveries (tenant_id) WHERE state = 'held'`);
    await q.query(`CREATE INDEX deliveries_released_idx ON deliveries (tenant_id, released_at) WHERE released_at IS NOT NULL`);
    await q.query(`
      CREATE TABLE continuity_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        activation_transition_id uuid,
        started_at timestamptz NOT NULL,
        recovery_started_at timestamptz,
        replay_finished_at timestamptz,
        ended_at timestamptz,
        end_transition_id uuid,
        replay_next_release_at timestamptz,
        released_messages integer NOT NULL DEFAULT 0,
        copied_back_messages integer NOT NULL DEFAULT 0,
        report jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (activation_transition_id)
      )`);
    // At most one open event per tenant: a new activation during recovery continues it.
    await q.query(`CREATE UNIQUE INDEX continuity_events_open_idx ON continuity_events (tenant_id) WHERE ended_at IS NULL`);
    await q.query(`CREATE INDEX continuity_events_tenant_idx ON continuity_events (tenant_id, started_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS continuity_events`);
    await q.query(`DROP INDEX IF EXISTS deliveries_released_idx`);
    await q.query(`DROP INDEX IF EXISTS deliveries_held_idx`);
    await q.query(`UPDATE deliveries SET state = 'delivered' WHERE state = 'suppressed'`);
    await q.query(`ALTER TABLE deliveries DROP COLUMN held_at, DROP COLUMN held_remaining_seconds, DROP COLUMN released_at, DROP COLUMN purpose, DROP COLUMN duplicate_of`);
    await q.query(`ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_state_check`);
    await q.query(`ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check CHECK (state IN ('queued','deferred','held','delivered','bounced','expired'))`);
  }
}
