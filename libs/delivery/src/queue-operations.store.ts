import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DeliveryPurpose, DeliveryState, RouteKind } from './delivery.entity';
import type { ClaimedDelivery } from './delivery.store';

/** A delivery that is not final yet, as an operator inspects it. */
export interface QueuedDeliveryView {
  id: string;
  messageId: string;
  queueId: string;
  state: Extract<DeliveryState, 'queued' | 'deferred' | 'held'>;
  recipient: string;
  routeKind: RouteKind;
  purpose: DeliveryPurpose;
  lastRoute: string | null;
  attempts: number;
  nextAttemptAt: Date;
  expiresAt: Date;
  lastAttemptAt: Date | null;
  lastReply: string | null;
  heldAt: Date | null;
  /** A worker holds it right now (an attempt is in progress). */
  leased: boolean;
  message: { direction: string; mailFrom: string; sizeBytes: number; subject: string | null; receivedAt: Date };
}

/** What was thrown away by a purge, for the audit log. */
export interface PurgedMessage {
  messageId: string;
  queueId: string;
  blobKey: string;
  direction: string;
  mailFrom: string;
  deliveries: Array<{ recipient: string; state: string }>;
  mirrorEntriesDeleted: number;
}

export class DeliveryInFlightError extends Error {
  readonly code = 'delivery_in_flight';
}

const PENDING = `('queued','deferred','held')`;

/**
 * The operator's hands on a tenant's queue: inspect what is not final,
 * make deferred rows due now, take a row out of the workers' reach to bounce
 * it, and purge a message. Every statement is scoped by tenant_id, and rows
 * a worker holds a live lease on are never touched behind its back.
 */
@Injectable()
export class QueueOperationsStore {
  constructor(private readonly ds: DataSource) {}

  async listPending(tenantId: string, opts: { state?: 'queued' | 'deferred' | 'held'; limit: number; offset: number }): Promise<{ items: QueuedDeliveryView[]; total: number }> {
    const states = opts.state ? [opts.state] : ['queued', 'deferred', 'held'];
    const [rows, count] = await Promise.all([
      this.ds.query(
        `SELECT d.id, d.message_id, m.queue_id, d.state, d.recipient, d.route_kind, d.purpose, d.last_route, d.attempts, d.next_attempt_at, d.expires_at,
                d.last_attempt_at, d.last_reply, d.held_at, (d.lease_expires_at IS NOT NULL AND d.lease_expires_at > now()) AS leased,
                m.direction, m.mail_from, m.size_bytes::float8 AS size_bytes, m.subject, m.received_at
           FROM deliveries d JOIN messages m ON m.id = d.message_id AND m.tenant_id = d.tenant_id
          WHERE d.tenant_id = $1 AND d.state = ANY($2::text[])
          ORDER BY m.received_at, d.recipient
          LIMIT $3 OFFSET $4`,
        [tenantId, states, opts.limit, opts.offset],
      ),
      this.ds.query(`SELECT count(*)::int AS n FROM deliveries WHERE tenant_id = $1 AND state = ANY($2::text[])`, [tenantId, states]),
    ]);
    return {
      total: count[0].n,
      items: rows.map((r: Record<string, unknown>) => ({
        id: r.id as string,
        messageId: r.message_id as string,
        queueId: r.queue_id as string,
        state: r.state as QueuedDeliveryView['state'],
        recipient: r.recipient as string,
        routeKind: r.route_kind as RouteKind,
        purpose: r.purpose as DeliveryPurpose,
        lastRoute: (r.last_route as string | null) ?? null,
        attempts: Number(r.attempts),
        nextAttemptAt: r.next_attempt_at as Date,
        expiresAt: r.expires_at as Date,
        lastAttemptAt: (r.last_attempt_at as Date | null) ?? null,
        lastReply: (r.last_reply as string | null) ?? null,
        heldAt: (r.held_at as Date | null) ?? null,
        leased: !!r.leased,
        message: { direction: r.direction as string, mailFrom: r.mail_from as string, sizeBytes: Number(r.size_bytes), subject: (r.subject as string | null) ?? null, receivedAt: r.received_at as Date },
      })),
    };
  }

  /**
   * Makes queued and deferred rows (one, or all of the tenant's) due now.
   * Held rows stay held: continuity mode decides about them, not a retry.
   * Returns the messages to enqueue with their new due time.
   */
  async makeDueNow(tenantId: string, deliveryId: string | null): Promise<Array<{ messageId: string; dueAt: Date; rows: number }>> {
    const rows: Array<{ message_id: string; next_attempt_at: Date }> = unwrap(
      await this.ds.query(
        `UPDATE deliveries SET next_attempt_at = now()
          WHERE tenant_id = $1 AND state IN ('queued','deferred') AND ($2::uuid IS NULL OR id = $2::uuid)
            AND (lease_expires_at IS NULL OR lease_expires_at < now())
          RETURNING message_id, next_attempt_at`,
        [tenantId, deliveryId],
      ),
    );
    const byMessage = new Map<string, { messageId: string; dueAt: Date; rows: number }>();
    for (const r of rows) {
      const m = byMessage.get(r.message_id) ?? { messageId: r.message_id, dueAt: r.next_attempt_at, rows: 0 };
      m.rows++;
      byMessage.set(r.message_id, m);
    }
    return [...byMessage.values()];
  }

  /** The tenant's delivery row (any state), or null: tells "not yours" from "not pending". */
  async find(tenantId: string, deliveryId: string): Promise<{ id: string; messageId: string; state: DeliveryState; leased: boolean } | null> {
    const rows = await this.ds.query(
      `SELECT id, message_id, state, (lease_expires_at IS NOT NULL AND lease_expires_at > now()) AS leased FROM deliveries WHERE tenant_id = $1 AND id = $2`,
      [tenantId, deliveryId],
    );
    return rows[0] ? { id: rows[0].id, messageId: rows[0].message_id, state: rows[0].state, leased: !!rows[0].leased } : null;
  }

  /**
   * Leases one pending row (queued, deferred or held) for an operator's
   * action, exactly as a worker would before an attempt; the outcome is then
   * written with DeliveryStore.recordAttempt under that lease.
   */
  async leaseForOperator(tenantId: string, deliveryId: string, owner: string, leaseSeconds: number): Promise<ClaimedDelivery | null> {
    const rows: ClaimedDelivery[] = unwrap(
      await this.ds.query(
        `UPDATE deliveries SET lease_owner = $3, lease_expires_at = now() + make_interval(secs => $4)
          WHERE tenant_id = $1 AND id = $2 AND state IN ${PENDING} AND (lease_expires_at IS NULL OR lease_expires_at < now())
          RETURNING id, tenant_id AS "tenantId", message_id AS "messageId", recipient, route_kind AS "routeKind", attempts,
                    expires_at AS "expiresAt", last_reply AS "lastReply", last_route AS "lastRoute", last_attempt_at AS "lastAttemptAt"`,
        [tenantId, deliveryId, owner, leaseSeconds],
      ),
    );
    return rows[0] ?? null;
  }

  /**
   * Deletes a message of the tenant with its deliveries and mirror entries,
   * in one transaction, unless a worker is attempting one of its deliveries
   * right now (DeliveryInFlightError). Returns what was deleted, or null when
   * the tenant has no such message. The blob is the caller's to delete after
   * the commit.
   */
  async purgeMessage(tenantId: string, messageId: string): Promise<PurgedMessage | null> {
    return this.ds.transaction(async (em) => {
      const m = await em.query(`SELECT id, queue_id, blob_key, direction, mail_from FROM messages WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenantId, messageId]);
      if (!m.length) return null;
      const deliveries: Array<{ recipient: string; state: string; leased: boolean }> = await em.query(
        `SELECT recipient, state, (lease_expires_at IS NOT NULL AND lease_expires_at > now()) AS leased FROM deliveries WHERE tenant_id = $1 AND message_id = $2 ORDER BY recipient FOR UPDATE`,
        [tenantId, messageId],
      );
      if (deliveries.some((d) => d.leased)) throw new DeliveryInFlightError('a worker is attempting a delivery of this message right now; try again in a moment');
      const mirror = await em.query(`SELECT count(*)::int AS n FROM mirror_entries WHERE tenant_id = $1 AND message_id = $2`, [tenantId, messageId]);
      // deliveries and mirror_entries go with the message (ON DELETE CASCADE).
      await em.query(`DELETE FROM messages WHERE tenant_id = $1 AND id = $2`, [tenantId, messageId]);
      return {
        messageId,
        queueId: m[0].queue_id,
        blobKey: m[0].blob_key,
        direction: m[0].direction,
        mailFrom: m[0].mail_from,
        deliveries: deliveries.map((d) => ({ recipient: d.recipient, state: d.state })),
        mirrorEntriesDeleted: mirror[0].n,
      };
    });
  }
}

function unwrap<T>(res: unknown): T[] {
  // TypeORM answers an UPDATE … RETURNING with [rows, count].
  return (Array.isArray(res) && Array.isArray(res[0]) ? res[0] : res) as T[];
}
