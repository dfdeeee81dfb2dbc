import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildReconciliationReport, EventDeliveryRow, ReconciliationReport } from './reconciliation-report';
import { ContinuityEventRow, RecoveryStore } from './recovery.store';

/** Maps an address to its standby mailbox (directly or through an alias); anything else stays as it is. */
const MAILBOX_OF = (col: string) => `COALESCE(mb.address, amb.address, lower(${col}))`;
const MAILBOX_JOINS = (tenantCol: string, col: string) => `
  LEFT JOIN mailboxes mb ON mb.tenant_id = ${tenantCol} AND mb.address = lower(${col})
  LEFT JOIN aliases al ON al.tenant_id = ${tenantCol} AND al.address = lower(${col})
  LEFT JOIN mailboxes amb ON amb.id = al.mailbox_id`;

export class EventNotFoundError extends Error {
  readonly code = 'event_not_found';
}

/**
 * Reconciliation of one continuity event. While the event's rows exist the
 * report is computed from them; when the event ends it is stored with the
 * event (continuity_events.report), so the admin still sees it after the
 * rolling window has removed the messages.
 */
@Injectable()
export class ReconciliationService {
  constructor(
    private readonly ds: DataSource,
    private readonly store: RecoveryStore,
  ) {}

  /**
   * The report of the event that `transitionId` started or ended (or the
   * event with that id); the tenant's latest event when omitted.
   */
  async report(tenantId: string, transitionId?: string): Promise<ReconciliationReport> {
    const event = transitionId ? await this.store.event(tenantId, transitionId) : await this.store.latestEvent(tenantId);
    if (!event) throw new EventNotFoundError(transitionId ? `no continuity event of this tenant for ${transitionId}` : 'this tenant has had no continuity event');
    const stored = event.report as ReconciliationReport | null;
    // A stored report that had settled is final; one written while copies were still pending is refreshed while the rows are there.
    if (event.endedAt && stored && stored.allAccountedFor) return stored;
    const live = await this.compute(event);
    if (event.endedAt && (!stored || live.totals.pending < stored.totals.pending || (live.allAccountedFor && !stored.allAccountedFor))) await this.store.saveReport(event.id, live);
    return live;
  }

  /** Computes and stores the report of an event (called when it ends). */
  async storeReport(event: ContinuityEventRow): Promise<ReconciliationReport> {
    const r = await this.compute(event);
    await this.store.saveReport(event.id, r);
    return r;
  }

  async compute(event: ContinuityEventRow): Promise<ReconciliationReport> {
    const tenantId = event.tenantId;
    const from = event.startedAt;
    const until = event.endedAt ?? new Date();
    const [received, sent, deliveredBefore, deliveries] = await Promise.all([
      this.ds.query(
        `SELECT mb.address AS mailbox, count(DISTINCT me.message_id)::int AS n
           FROM mirror_entries me JOIN mailboxes mb ON mb.id = me.mailbox_id
          WHERE me.tenant_id = $1 AND me.folder = 'inbox' AND me.received_at >= $2 AND me.received_at <= $3
          GROUP BY mb.address`,
        [tenantId, from, until],
      ),
      this.ds.query(
        `SELECT mb.address AS mailbox, count(*)::int AS n
           FROM messages m JOIN mailboxes mb ON mb.tenant_id = m.tenant_id AND mb.address = lower(m.mail_from)
          WHERE m.tenant_id = $1 AND m.direction = 'outbound' AND m.received_at >= $2 AND m.received_at <= $3
          GROUP BY mb.address`,
        [tenantId, from, until],
      ),
      this.ds.query(
        `SELECT ${MAILBOX_OF('d.recipient')} AS mailbox, count(*)::int AS n
           FROM deliveries d ${MAILBOX_JOINS('d.tenant_id', 'd.recipient')}
          WHERE d.tenant_id = $1 AND d.state = 'delivered' AND d.purpose = 'recipient' AND d.delivered_at < $2
            AND d.message_id IN (SELECT h.message_id FROM deliveries h WHERE h.tenant_id = $1 AND h.purpose = 'recipient' AND h.held_at >= $2 AND h.held_at <= $3)
          GROUP BY 1`,
        [tenantId, from, until],
      ),
      this.ds.query(
        `SELECT ${MAILBOX_OF('d.recipient')} AS mailbox, d.recipient, m.queue_id AS "queueId", d.state, d.purpose, d.last_reply AS "lastReply", d.released_at AS "releasedAt"
           FROM deliveries d JOIN messages m ON m.id = d.message_id ${MAILBOX_JOINS('d.tenant_id', 'd.recipient')}
          WHERE d.tenant_id = $1 AND d.route_kind = 'upstream'
            AND ((d.purpose = 'recipient' AND d.held_at >= $2 AND d.held_at <= $3)
              OR (d.purpose = 'copy-back' AND m.received_at >= $2 AND m.received_at <= $3))
          ORDER BY m.received_at`,
        [tenantId, from, until],
      ) as Promise<EventDeliveryRow[]>,
    ]);
    return buildReconciliationReport({
      tenantId,
      event,
      generatedAt: new Date(),
      receivedByMailbox: received,
      sentByMailbox: sent,
      deliveredBeforeByMailbox: deliveredBefore,
      deliveries,
    });
  }
}
