import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { REMAINING_LIFETIME } from '@app/delivery/held-lifetime';

/** One continuity event of a tenant: from the transition to 'active' until it is back to 'normal'. */
export interface ContinuityEventRow {
  id: string;
  tenantId: string;
  activationTransitionId: string | null;
  startedAt: Date;
  recoveryStartedAt: Date | null;
  replayFinishedAt: Date | null;
  endedAt: Date | null;
  endTransitionId: string | null;
  replayNextReleaseAt: Date | null;
  releasedMessages: number;
  copiedBackMessages: number;
  report: unknown | null;
}

const EVENT_COLUMNS = `id, tenant_id AS "tenantId", activation_transition_id AS "activationTransitionId", started_at AS "startedAt",
  recovery_started_at AS "recoveryStartedAt", replay_finished_at AS "replayFinishedAt", ended_at AS "endedAt", end_transition_id AS "endTransitionId",
  replay_next_release_at AS "replayNextReleaseAt", released_messages AS "releasedMessages", copied_back_messages AS "copiedBackMessages", report`;

export interface ReleasedMessage { messageId: string; tenantId: string }

function rowsOf<T>(res: unknown): T[] {
  // TypeORM answers an UPDATE … RETURNING with [rows, count].
  return (Array.isArray(res) && Array.isArray(res[0]) ? res[0] : res) as T[];
}

/**
 * The SQL of holding and replay. Held rows are tenant-scoped like every
 * other query here; the replay works through them in the order their
 * messages arrived (messages.received_at), a message at a time, so one SMTP
 * transaction still carries all of a message's recipients.
 */
@Injectable()
export class RecoveryStore {
  constructor(private readonly ds: DataSource) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  /** Only one worker replays a tenant at a time; freed at the end of the transaction (or if the worker dies). */
  async tryLockTenant(em: EntityManager, tenantId: string): Promise<boolean> {
    const [{ locked }] = await em.query(`SELECT pg_try_advisory_xact_lock(hashtext('mc:replay:' || $1)::bigint) AS locked`, [tenantId]);
    return locked;
  }

  // ---------------------------------------------------------------- events

  /** Opens the tenant's event unless one is open (a new activation during recovery continues it). */
  async openEvent(tenantId: string, startedAt: Date, activationTransitionId: string | null, em?: EntityManager): Promise<ContinuityEventRow> {
    const q = em ?? this.ds.manager;
    await q.query(
      `INSERT INTO continuity_events (tenant_id, activation_transition_id, started_at) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id) WHERE ended_at IS NULL DO NOTHING`,
      [tenantId, activationTransitionId, startedAt],
    );
    return (await this.openEventOf(tenantId, em)) as ContinuityEventRow;
  }

  async openEventOf(tenantId: string, em?: EntityManager, forUpdate = false): Promise<ContinuityEventRow | null> {
    const rows = await (em ?? this.ds.manager).query(`SELECT ${EVENT_COLUMNS} FROM continuity_events WHERE tenant_id = $1 AND ended_at IS NULL ${forUpdate ? 'FOR UPDATE' : ''}`, [tenantId]);
    return rows[0] ?? null;
  }

  async event(tenantId: string, eventOrTransitionId: string): Promise<ContinuityEventRow | null> {
    const rows = await this.ds.query(
      `SELECT ${EVENT_COLUMNS} FROM continuity_events WHERE tenant_id = $1 AND (id::text = $2 OR activation_transition_id::text = $2 OR end_transition_id::text = $2)`,
      [tenantId, eventOrTransitionId],
    );
    return rows[0] ?? null;
  }

  async latestEvent(tenantId: string): Promise<ContinuityEventRow | null> {
    const rows = await this.ds.query(`SELECT ${EVENT_COLUMNS} FROM continuity_events WHERE tenant_id = $1 ORDER BY started_at DESC LIMIT 1`, [tenantId]);
    return rows[0] ?? null;
  }

  /** The tenant's events, newest first. */
  async listEvents(tenantId: string, limit: number): Promise<ContinuityEventRow[]> {
    return this.ds.query(`SELECT ${EVENT_COLUMNS} FROM continuity_events WHERE tenant_id = $1 ORDER BY started_at DESC LIMIT $2`, [tenantId, limit]);
  }

  async markRecoveryStarted(tenantId: string, at: Date): Promise<void> {
    // A replay restarted after a relapse (recovering → active → recovering) paces from scratch.
    await this.ds.query(
      `UPDATE continuity_events SET recovery_started_at = $2, replay_finished_at = NULL, replay_next_release_at = NULL WHERE tenant_id = $1 AND ended_at IS NULL`,
      [tenantId, at],
    );
  }

  async savePacing(em: EntityManager, eventId: string, nextReleaseAt: Date, released: number): Promise<void> {
    await em.query(`UPDATE continuity_events SET replay_next_release_at = $2, released_messages = released_messages + $3 WHERE id = $1`, [eventId, nextReleaseAt, released]);
  }

  async markReplayFinished(eventId: string, copiedBack: number): Promise<void> {
    await this.ds.query(
      `UPDATE continuity_events SET replay_finished_at = COALESCE(replay_finished_at, now()), copied_back_messages = copied_back_messages + $2 WHERE id = $1`,
      [eventId, copiedBack],
    );
  }

  async closeEvent(eventId: string, endedAt: Date, endTransitionId: string | null): Promise<void> {
    await this.ds.query(
      `UPDATE continuity_events SET ended_at = COALESCE(ended_at, $2), end_transition_id = COALESCE(end_transition_id, $3) WHERE id = $1`,
      [eventId, endedAt, endTransitionId],
    );
  }

  async saveReport(eventId: string, report: unknown): Promise<void> {
    await this.ds.query(`UPDATE continuity_events SET report = $2 WHERE id = $1`, [eventId, JSON.stringify(report)]);
  }

  // ---------------------------------------------------------------- holding

  /**
   * Holds up to `limit` of the tenant's queued/deferred rows bound for its
   * Exchange, keeping each row's remaining lifetime. Rows under a live lease
   * are being attempted right now; their attempt holds them when it ends.
   */
  async holdBatch(tenantId: string, limit: number): Promise<number> {
    const res = await this.ds.query(
      `UPDATE deliveries SET state = 'held', held_at = now(), held_remaining_seconds = ${REMAINING_LIFETIME}, lease_owner = NULL, lease_expires_at = NULL
        WHERE id IN (
          SELECT id FROM deliveries
           WHERE tenant_id = $1 AND state IN ('queued','deferred') AND route_kind = 'upstream'
             AND (lease_expires_at IS NULL OR lease_expires_at < now())
           LIMIT $2 FOR UPDATE SKIP LOCKED)
          AND state IN ('queued','deferred')`,
      [tenantId, limit],
    );
    return Array.isArray(res) && typeof res[1] === 'number' ? res[1] : 0;
  }

  async heldCount(tenantId: string): Promise<number> {
    const [{ n }] = await this.ds.query(`SELECT count(*)::int AS n FROM deliveries WHERE tenant_id = $1 AND state = 'held'`, [tenantId]);
    return n;
  }

  // ---------------------------------------------------------------- replay

  /**
   * Releases the held rows of the next `limit` messages in arrival order:
   * a row whose recipient already has the same message (same Message-ID,
   * delivered) is suppressed, the others are queued for now with their
   * lifetime restored. Runs in the caller's transaction (under the tenant lock).
   */
  async releaseNext(em: EntityManager, tenantId: string, limit: number): Promise<{ released: ReleasedMessage[]; suppressed: number }> {
    const batch: { messageId: string }[] = await em.query(
      `SELECT d.message_id AS "messageId" FROM deliveries d JOIN messages m ON m.id = d.message_id
        WHERE d.tenant_id = $1 AND d.state = 'held'
        GROUP BY d.message_id, m.received_at ORDER BY m.received_at, d.message_id LIMIT $2`,
      [tenantId, limit],
    );
    if (!batch.length) return { released: [], suppressed: 0 };
    const ids = batch.map((b) => b.messageId);
    const suppressed = rowsOf(
      await em.query(
        `WITH dup AS (
           SELECT DISTINCT ON (d.id) d.id, d2.id AS dup_id, m2.queue_id
             FROM deliveries d
             JOIN messages m ON m.id = d.message_id
             JOIN messages m2 ON m2.tenant_id = m.tenant_id AND m2.message_id_header = m.message_id_header AND m2.id <> m.id
             JOIN deliveries d2 ON d2.message_id = m2.id AND lower(d2.recipient) = lower(d.recipient) AND d2.state = 'delivered' AND d2.purpose = d.purpose
            WHERE d.tenant_id = $1 AND d.message_id = ANY($2::uuid[]) AND d.state = 'held' AND m.message_id_header IS NOT NULL)
         UPDATE deliveries d SET state = 'suppressed', released_at = now(), duplicate_of = dup.dup_id,
                last_reply = 'not sent again: the recipient already has this message (' || dup.queue_id || ')'
           FROM dup WHERE d.id = dup.id AND d.state = 'held'
          RETURNING d.id`,
        [tenantId, ids],
      ),
    ).length;
    const released: ReleasedMessage[] = rowsOf<{ messageId: string; tenantId: string }>(
      await em.query(
        `UPDATE deliveries SET state = 'queued', released_at = now(), next_attempt_at = now(),
                expires_at = now() + make_interval(secs => COALESCE(held_remaining_seconds, GREATEST(0, extract(epoch FROM (expires_at - COALESCE(held_at, now())))))::float8),
                lease_owner = NULL, lease_expires_at = NULL
          WHERE tenant_id = $1 AND message_id = ANY($2::uuid[]) AND state = 'held'
          RETURNING message_id AS "messageId", tenant_id AS "tenantId"`,
        [tenantId, ids],
      ),
    );
    const unique = new Map(released.map((r) => [r.messageId, r]));
    return { released: [...unique.values()], suppressed };
  }

  /**
   * Whether released rows of this event still wait for their first attempt
   * after release. EXISTS over the tenant's queued rows (tenant, state index):
   * cheap however many released rows have been delivered already.
   */
  async releasedAwaitingAttempt(tenantId: string, since: Date): Promise<boolean> {
    const [{ waiting }] = await this.ds.query(
      `SELECT EXISTS (SELECT 1 FROM deliveries WHERE tenant_id = $1 AND state = 'queued' AND released_at >= $2) AS waiting`,
      [tenantId, since],
    );
    return waiting;
  }

  /**
   * One copy of each message an employee sent during the event, to the
   * sender's own address through the tenant's connector (route 'upstream'),
   * so their Exchange mailbox has it. The unique (message, recipient) key
   * makes this idempotent: one copy per message, however often it runs (and
   * none when the sender was also a recipient, who gets the message anyway).
   */
  async queueCopyBacks(tenantId: string, from: Date, until: Date): Promise<ReleasedMessage[]> {
    const rows: ReleasedMessage[] = await this.ds.query(
      `INSERT INTO deliveries (tenant_id, message_id, recipient, route_kind, state, next_attempt_at, expires_at, purpose)
       SELECT m.tenant_id, m.id, mb.address, 'upstream', 'queued', now(), now() + make_interval(secs => t.delivery_lifetime_seconds), 'copy-back'
         FROM messages m
         JOIN tenants t ON t.id = m.tenant_id
         JOIN mailboxes mb ON mb.tenant_id = m.tenant_id AND mb.address = lower(m.mail_from)
        WHERE m.tenant_id = $1 AND m.direction = 'outbound' AND m.received_at >= $2 AND m.received_at <= $3
       ON CONFLICT (message_id, recipient) DO NOTHING
       RETURNING message_id AS "messageId", tenant_id AS "tenantId"`,
      [tenantId, from, until],
    );
    return rows;
  }

  /** Held rows, and rows released since `since` by state (the operator's view of a replay). */
  async replayCounts(tenantId: string, since: Date | null): Promise<Record<string, number>> {
    const rows: { state: string; n: number }[] = await this.ds.query(
      `SELECT state, count(*)::int AS n FROM deliveries
        WHERE tenant_id = $1 AND (state = 'held' OR ($2::timestamptz IS NOT NULL AND released_at >= $2))
        GROUP BY state`,
      [tenantId, since],
    );
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** Tenants whose held mail has nobody to release it: back to normal (or in a drill) with rows still held. */
  async tenantsWithStrayHeld(): Promise<string[]> {
    const rows: { id: string }[] = await this.ds.query(
      `SELECT t.id FROM tenants t WHERE t.mode IN ('normal','drill') AND EXISTS (SELECT 1 FROM deliveries d WHERE d.tenant_id = t.id AND d.state = 'held')`,
    );
    return rows.map((r) => r.id);
  }

  async tenantsInMode(mode: string): Promise<string[]> {
    const rows: { id: string }[] = await this.ds.query(`SELECT id FROM tenants WHERE mode = $1 ORDER BY id`, [mode]);
    return rows.map((r) => r.id);
  }

  async tenantMode(tenantId: string, em?: EntityManager): Promise<string | null> {
    const rows = await (em ?? this.ds.manager).query(`SELECT mode FROM tenants WHERE id = $1`, [tenantId]);
    return rows[0]?.mode ?? null;
  }

  /** Earliest hold among the tenant's held rows: the start of an event whose activation effect never ran. */
  async earliestHold(tenantId: string): Promise<Date | null> {
    const [{ at }] = await this.ds.query(`SELECT min(held_at) AS at FROM deliveries WHERE tenant_id = $1 AND state = 'held'`, [tenantId]);
    return at ?? null;
  }
}
