import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { preparedQuery } from '@app/database/prepared-statement';
import { deliveryJobId, DeliverMessageJob, indexJobId, IndexMessageJob, QueueName, Queues } from '@app/queues';

/** One message as the MX has stored its bytes, ready to be recorded. */
export interface AcceptMessageInput {
  tenantId: string;
  queueId: string;
  blobKey: string;
  sizeBytes: number;
  /** Envelope sender; '' for the null sender `<>`. */
  mailFrom: string;
  /** This tenant's envelope recipients, in the order given; each gets one delivery row. */
  recipients: string[];
  /** Standby mailboxes reached (directly, through an alias or as group members); duplicates are fine. */
  mirrorMailboxIds: string[];
  clientAddress: string | null;
  clientHelo: string | null;
  body8bitmime: boolean;
  smtputf8: boolean;
  receivedAt: Date;
  /** The tenant's delivery lifetime; the deliveries expire this long after acceptance. */
  deliveryLifetimeSeconds: number;
  /**
   * 'inbound' (the default), 'outbound' (relayed for the tenant's Exchange) or
   * 'journal' (an original taken from the tenant's journal report: mirrored,
   * never delivered; Exchange delivered it already).
   */
  direction?: AcceptedDirection;
  /** Route of each recipient, by lower-case address; 'upstream' where not named. */
  routeKinds?: Record<string, 'upstream' | 'internet'>;
  /** Standby mailboxes that get the message in their Sent folder (the sender's own). */
  sentMailboxIds?: string[];
  /** For journal messages: whether the report could be unpacked ('unparsed': kept whole, flagged). */
  journalState?: 'parsed' | 'unparsed';
  /** Mail we compose ourselves (the webmail's): DKIM-signed for its From domain whatever the domain's sign_outbound says. */
  signDkim?: boolean;
  /**
   * The sender's own address at the tenant's Exchange, for mail that never
   * passed through it (sent from the webmail): a copy-back delivery to it is
   * queued at once while the tenant's Exchange takes mail. While the tenant
   * holds (continuity mode, recovery) none is recorded here: the replay
   * queues the copies back when the event ends (RecoveryStore.queueCopyBacks).
   * None either when the sender is among the recipients (they get it anyway).
   */
  copyBackTo?: string | null;
  /**
   * The inbound authentication verdict when the MX computed it before the
   * 250 (for tenants that refuse DMARC failures): stored with the message so
   * the worker does not verify it again.
   */
  authentication?: { header: string; summary: object } | null;
}

export type AcceptedDirection = 'inbound' | 'outbound' | 'journal';

export interface AcceptedMessage {
  messageId: string;
  tenantId: string;
  queueId: string;
  nextAttemptAt: Date;
  /** False for journal messages, which have no deliveries. */
  delivers?: boolean;
}

/** The rows one accepted message becomes; pure, so the arithmetic is tested without a database. */
export interface AcceptancePlan {
  recipients: string[];
  /** Parallel to `recipients`; empty when the message has no deliveries. */
  routeKinds: Array<'upstream' | 'internet'>;
  delivers: boolean;
  mirrorMailboxIds: string[];
  sentMailboxIds: string[];
  /** The copy back to the sender's Exchange mailbox, when one is asked for and the sender is not a recipient. */
  copyBackTo: string | null;
  nextAttemptAt: Date;
  expiresAt: Date;
}

/** Continuity mode and recovery hold new inbound mail; 'drill' changes nothing for delivery. */
export function holdsInbound(mode: string | undefined): boolean {
  return mode === 'active' || mode === 'recovering';
}

export function planAcceptance(input: AcceptMessageInput, now: Date): AcceptancePlan {
  const seen = new Set<string>();
  const recipients: string[] = [];
  for (const r of input.recipients) {
    // deliveries are unique per (message, recipient): the envelope may name an address twice
    const key = r.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      recipients.push(r);
    }
  }
  const delivers = input.direction !== 'journal';
  if (!recipients.length && delivers) throw new Error(`message ${input.queueId} has no recipients`);
  return {
    recipients,
    routeKinds: delivers ? recipients.map((r) => input.routeKinds?.[r.toLowerCase()] ?? 'upstream') : [],
    delivers,
    mirrorMailboxIds: [...new Set(input.mirrorMailboxIds)],
    sentMailboxIds: [...new Set(input.sentMailboxIds ?? [])],
    copyBackTo: delivers && input.copyBackTo && !seen.has(input.copyBackTo.toLowerCase()) ? input.copyBackTo.toLowerCase() : null,
    nextAttemptAt: now,
    expiresAt: new Date(now.getTime() + input.deliveryLifetimeSeconds * 1000),
  };
}

/**
 * Records accepted mail: for each message its row, one delivery row per
 * recipient (none for journal messages), one inbox mirror entry per standby
 * mailbox and, for outbound mail, a Sent entry for the sender; all messages of
 * one SMTP transaction in ONE Postgres transaction. The MX answers 250 only
 * after this commits. Queue jobs are announced afterwards and only
 * best-effort: Postgres is the queue of record and the worker's sweeper finds
 * rows whose job never reached Redis.
 */
/** How long a post-commit queue announcement may take before it is left to the sweeper. */
export const ANNOUNCE_TIMEOUT_MS = 3000;

@Injectable()
export class MessageAcceptance {
  constructor(
    private readonly ds: DataSource,
    private readonly queues: Queues,
  ) {}

  async accept(messages: AcceptMessageInput[], now: Date = new Date()): Promise<AcceptedMessage[]> {
    const plans = messages.map((m) => planAcceptance(m, now));
    if (messages.length === 1) return [await this.acceptOne(messages[0], plans[0])];
    return this.ds.transaction(async (em) => {
      const accepted: AcceptedMessage[] = [];
      // Read in this transaction: mail for a tenant in continuity mode is held from the start, and
      // during recovery it queues behind the replay (which releases in arrival order).
      const modes = new Map<string, string>(
        (await em.query(`SELECT id, mode FROM tenants WHERE id = ANY($1::uuid[])`, [[...new Set(messages.map((m) => m.tenantId))]])).map((r: { id: string; mode: string }) => [r.id, r.mode]),
      );
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i];
        const p = plans[i];
        const rows: Array<{ id: string }> = await em.query(
          `INSERT INTO messages (tenant_id, queue_id, direction, blob_key, size_bytes, mail_from, rcpt_to, client_address, client_helo, body_8bitmime, smtputf8, received_at, journal_state, sign_dkim, auth_results, auth_summary)
           VALUES ($1, $2, $12, $3, $4, $5, $6, $7, $8, $9, $10, $11, $13, $14, $15, $16::jsonb) RETURNING id`,
          [
            m.tenantId, m.queueId, m.blobKey, m.sizeBytes, m.mailFrom, p.recipients, m.clientAddress, m.clientHelo, m.body8bitmime, m.smtputf8, m.receivedAt, m.direction ?? 'inbound', m.journalState ?? null, m.signDkim === true,
            m.authentication?.header ?? null, m.authentication ? JSON.stringify(m.authentication.summary) : null,
          ],
        );
        const messageId = rows[0].id;
        const held = holdsInbound(modes.get(m.tenantId));
        // Only deliveries to the tenant's Exchange are held; mail to the internet goes on in continuity mode.
        if (p.delivers) {
          await em.query(
            `INSERT INTO deliveries (tenant_id, message_id, recipient, route_kind, state, next_attempt_at, expires_at, held_at, held_remaining_seconds)
             SELECT $1, $2, r.rcpt, r.kind, CASE WHEN h THEN 'held' ELSE 'queued' END, $4, $5, CASE WHEN h THEN $4::timestamptz END, CASE WHEN h THEN $8::integer END
               FROM unnest($3::text[], $6::text[]) AS r(rcpt, kind), LATERAL (SELECT $7::boolean AND r.kind = 'upstream' AS h) x`,
            [m.tenantId, messageId, p.recipients, p.nextAttemptAt, p.expiresAt, p.routeKinds, held, m.deliveryLifetimeSeconds],
          );
          if (p.copyBackTo && !held) {
            await em.query(
              `INSERT INTO deliveries (tenant_id, message_id, recipient, route_kind, state, next_attempt_at, expires_at, purpose)
               VALUES ($1, $2, $3, 'upstream', 'queued', $4, $5, 'copy-back') ON CONFLICT (message_id, recipient) DO NOTHING`,
              [m.tenantId, messageId, p.copyBackTo, p.nextAttemptAt, p.expiresAt],
            );
          }
        }
        for (const [folder, ids] of [['inbox', p.mirrorMailboxIds], ['sent', p.sentMailboxIds]] as const) {
          if (!ids.length) continue;
          await em.query(
            `INSERT INTO mirror_entries (tenant_id, mailbox_id, message_id, folder, received_at)
             SELECT $1, mb, $2, $5, $4 FROM unnest($3::uuid[]) AS mb`,
            [m.tenantId, messageId, ids, m.receivedAt, folder],
          );
        }
        accepted.push({ messageId, tenantId: m.tenantId, queueId: m.queueId, nextAttemptAt: p.nextAttemptAt, delivers: p.delivers });
      }
      return accepted;
    });
  }

  /**
   * The common case, one message (one tenant in the transaction), as ONE
   * statement in autocommit: the message row, its deliveries, the copy-back
   * and the mirror entries are written, and the tenant's mode is read, by a
   * single statement, which is atomic like the transaction of several tenants
   * and costs one round trip and one commit instead of six round trips. The
   * mode is read in the same statement (same snapshot) as the inserts.
   * Data-modifying WITH clauses run to completion whether or not the final
   * SELECT reads them; the foreign keys are checked at the end of the
   * statement, when the message row exists. Prepared once per connection.
   */
  private async acceptOne(m: AcceptMessageInput, p: AcceptancePlan): Promise<AcceptedMessage> {
    const { rows } = await preparedQuery<{ id: string }>(
      this.ds,
      'mx-accept-one',
      `WITH t AS (
         SELECT COALESCE((SELECT mode IN ('active', 'recovering') FROM tenants WHERE id = $1), false) AS held
       ), m AS (
         INSERT INTO messages (tenant_id, queue_id, direction, blob_key, size_bytes, mail_from, rcpt_to, client_address, client_helo, body_8bitmime, smtputf8, received_at, journal_state, sign_dkim, auth_results, auth_summary)
         VALUES ($1, $2, $12, $3, $4, $5, $6, $7, $8, $9, $10, $11, $13, $14, $15, $16::jsonb) RETURNING id
       ), d AS (
         INSERT INTO deliveries (tenant_id, message_id, recipient, route_kind, state, next_attempt_at, expires_at, held_at, held_remaining_seconds)
         SELECT $1, m.id, r.rcpt, r.kind, CASE WHEN x.h THEN 'held' ELSE 'queued' END, $17, $18, CASE WHEN x.h THEN $17::timestamptz END, CASE WHEN x.h THEN $19::integer END
           FROM m, t, unnest($6::text[], $20::text[]) AS r(rcpt, kind), LATERAL (SELECT t.held AND r.kind = 'upstream' AS h) x
          WHERE $21::boolean
       ), c AS (
         INSERT INTO deliveries (tenant_id, message_id, recipient, route_kind, state, next_attempt_at, expires_at, purpose)
         SELECT $1, m.id, $22::text, 'upstream', 'queued', $17, $18, 'copy-back' FROM m, t
          WHERE $22::text IS NOT NULL AND NOT t.held
         ON CONFLICT (message_id, recipient) DO NOTHING
       ), e AS (
         INSERT INTO mirror_entries (tenant_id, mailbox_id, message_id, folder, received_at)
         SELECT $1, f.mb, m.id, f.folder, $11 FROM m,
                (SELECT mb, 'inbox' AS folder FROM unnest($23::uuid[]) AS mb UNION ALL SELECT mb, 'sent' FROM unnest($24::uuid[]) AS mb) f
       )
       SELECT id FROM m`,
      [
        m.tenantId, m.queueId, m.blobKey, m.sizeBytes, m.mailFrom, p.recipients, m.clientAddress, m.clientHelo, m.body8bitmime, m.smtputf8, m.receivedAt, m.direction ?? 'inbound', m.journalState ?? null, m.signDkim === true,
        m.authentication?.header ?? null, m.authentication ? JSON.stringify(m.authentication.summary) : null,
        p.nextAttemptAt, p.expiresAt, m.deliveryLifetimeSeconds, p.routeKinds, p.delivers, p.delivers ? p.copyBackTo : null, p.mirrorMailboxIds, p.sentMailboxIds,
      ],
    );
    return { messageId: rows[0].id, tenantId: m.tenantId, queueId: m.queueId, nextAttemptAt: p.nextAttemptAt, delivers: p.delivers };
  }

  /** Schedules delivery and indexing; job ids are deterministic, so announcing twice is harmless. */
  async announce(message: AcceptedMessage): Promise<void> {
    const payload: DeliverMessageJob & IndexMessageJob = { messageId: message.messageId, tenantId: message.tenantId };
    const adds = Promise.all([
      message.delivers === false ? null : this.queues.add<DeliverMessageJob>(QueueName.Delivery, 'deliver', payload, deliveryJobId(message.messageId, message.nextAttemptAt)),
      this.queues.add<IndexMessageJob>(QueueName.Index, 'index', payload, indexJobId(message.messageId)),
    ]);
    // BullMQ waits for Redis indefinitely; with Redis down the announcements would pile up
    // and hold back shutdown. The sweeper finds the rows either way.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`queue announcement gave up after ${ANNOUNCE_TIMEOUT_MS} ms`)), ANNOUNCE_TIMEOUT_MS);
    });
    try {
      await Promise.race([adds, timeout]);
    } finally {
      clearTimeout(timer);
      adds.catch(() => undefined);
    }
  }
}
