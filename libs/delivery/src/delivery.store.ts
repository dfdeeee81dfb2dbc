import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '@app/database/prepared-statement';
import type { DeliveryState, RouteKind } from './delivery.entity';
import { REMAINING_LIFETIME } from './held-lifetime';
import type { UpstreamRow } from './next-hop';

/** The SET list that records attempt outcomes `v` (unnest of the updates) on leased rows `d`, releasing the lease. */
const OUTCOME_SET = `
  state = v.state,
  attempts = d.attempts + CASE WHEN v.attempted THEN 1 ELSE 0 END,
  last_reply = v.last_reply,
  last_route = COALESCE(v.last_route, d.last_route),
  last_attempt_at = CASE WHEN v.attempted THEN now() ELSE d.last_attempt_at END,
  delivered_at = CASE WHEN v.state = 'delivered' THEN now() ELSE d.delivered_at END,
  next_attempt_at = COALESCE(v.next_attempt_at, d.next_attempt_at),
  dsn_queue_id = COALESCE(v.dsn_queue_id, d.dsn_queue_id),
  held_at = CASE WHEN v.state = 'held' THEN now() ELSE d.held_at END,
  held_remaining_seconds = CASE WHEN v.state = 'held' THEN ${REMAINING_LIFETIME} ELSE d.held_remaining_seconds END,
  lease_owner = NULL, lease_expires_at = NULL`;

/** The updates as rows `v`, from the parameters outcomeParams gives ($1 is the lease owner). */
const OUTCOME_ROWS = `unnest($2::uuid[], $3::text[], $4::boolean[], $5::text[], $6::text[], $7::timestamptz[], $8::text[])
  AS v(id, state, attempted, last_reply, last_route, next_attempt_at, dsn_queue_id)`;

function outcomeParams(owner: string, updates: DeliveryUpdate[]): unknown[] {
  return [owner, updates.map((u) => u.id), updates.map((u) => u.state), updates.map((u) => u.attempted), updates.map((u) => u.lastReply), updates.map((u) => u.lastRoute), updates.map((u) => u.nextAttemptAt), updates.map((u) => u.dsnQueueId)];
}

/** A delivery row this worker holds a lease on. */
export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  messageId: string;
  recipient: string;
  routeKind: RouteKind;
  attempts: number;
  expiresAt: Date;
  lastReply: string | null;
  lastRoute: string | null;
  lastAttemptAt: Date | null;
}

/** What delivery needs of a message row. */
export interface MessageForDelivery {
  id: string;
  tenantId: string;
  queueId: string;
  direction: 'inbound' | 'outbound' | 'dsn';
  blobKey: string;
  sizeBytes: number;
  mailFrom: string;
  body8bitmime: boolean;
  smtputf8: boolean;
  receivedAt: Date;
  /**
   * Columns the attempt needs besides, read with the claim so the attempt
   * does not ask again (absent when the message was loaded on its own):
   * the stored authentication verdict and what verifying it needs, and
   * whether the message is to be DKIM-signed.
   */
  preloaded?: PreloadedMessageColumns;
}

export interface PreloadedMessageColumns {
  authResults: string | null;
  authSummary: object | null;
  clientAddress: string | null;
  clientHelo: string | null;
  rejectOnDmarcFail: boolean;
  signDkim: boolean;
}

/** The new state of one claimed row after an attempt. */
export interface DeliveryUpdate {
  id: string;
  state: Extract<DeliveryState, 'delivered' | 'deferred' | 'bounced' | 'expired' | 'held'>;
  /** Whether an attempt was made (false for rows expired by the sweeper without one). */
  attempted: boolean;
  lastReply: string;
  lastRoute: string | null;
  nextAttemptAt: Date | null;
  dsnQueueId: string | null;
}

/** A DSN to record in the same transaction as the bounced/expired rows it reports. */
export interface DsnRecord {
  tenantId: string;
  queueId: string;
  blobKey: string;
  sizeBytes: number;
  recipient: string;
  routeKind: RouteKind;
  body8bitmime: boolean;
  smtputf8: boolean;
  lifetimeSeconds: number;
}

const CLAIMED_COLUMNS = `id, tenant_id AS "tenantId", message_id AS "messageId", recipient, route_kind AS "routeKind", attempts,
  expires_at AS "expiresAt", last_reply AS "lastReply", last_route AS "lastRoute", last_attempt_at AS "lastAttemptAt"`;

/**
 * The delivery engine's SQL. Postgres is the queue of record: a row is worked
 * on only under a lease taken here, and every outcome is written back with the
 * lease as a condition, so a worker that lost its lease cannot overwrite the
 * work of the one that took it over.
 */
@Injectable()
export class DeliveryStore {
  constructor(private readonly ds: DataSource) {}

  /** Leases the due, unleased rows of one message (queued or deferred); see claimOrHold. */
  async claim(messageId: string, owner: string, leaseSeconds: number): Promise<ClaimedDelivery[]> {
    return (await this.claimOrHold(messageId, owner, leaseSeconds)).claimed;
  }

  /**
   * Leases the due, unleased rows of one message (queued or deferred). Rows
   * bound for the Exchange of a tenant in continuity mode are held instead,
   * in the same statement, so no attempt is made at a server declared down:
   * their remaining lifetime is kept and restored when the replay releases them.
   */
  async claimOrHold(messageId: string, owner: string, leaseSeconds: number): Promise<{ claimed: ClaimedDelivery[]; held: number }> {
    const hold = `(t.mode = 'active' AND d.route_kind = 'upstream')`;
    const rows: Array<ClaimedDelivery & { state: DeliveryState }> = unwrapRows(
      await this.ds.query(
        `UPDATE deliveries d SET
            lease_owner = CASE WHEN ${hold} THEN NULL ELSE $2 END,
            lease_expires_at = CASE WHEN ${hold} THEN NULL ELSE now() + make_interval(secs => $3) END,
            state = CASE WHEN ${hold} THEN 'held' ELSE d.state END,
            held_at = CASE WHEN ${hold} THEN now() ELSE d.held_at END,
            held_remaining_seconds = CASE WHEN ${hold} THEN ${REMAINING_LIFETIME} ELSE d.held_remaining_seconds END
           FROM tenants t
          WHERE t.id = d.tenant_id AND d.message_id = $1 AND d.state IN ('queued','deferred') AND d.next_attempt_at <= now()
            AND (d.lease_expires_at IS NULL OR d.lease_expires_at < now())
          RETURNING d.id, d.tenant_id AS "tenantId", d.message_id AS "messageId", d.recipient, d.route_kind AS "routeKind", d.attempts,
                    d.expires_at AS "expiresAt", d.last_reply AS "lastReply", d.last_route AS "lastRoute", d.last_attempt_at AS "lastAttemptAt", d.state`,
        [messageId, owner, leaseSeconds],
      ),
    );
    const claimed = rows.filter((r) => r.state !== 'held').map(({ state: _state, ...r }) => r);
    return { claimed, held: rows.length - claimed.length };
  }

  /**
   * claimOrHold and loadMessage in one statement: the claimed (or held) rows
   * come back joined to their message row, so the attempt starts after one
   * round trip. Rows of a message that no longer exists are not claimed.
   * `message` is null when nothing was claimed.
   */
  async claimAndLoad(messageId: string, owner: string, leaseSeconds: number): Promise<{ claimed: ClaimedDelivery[]; held: number; message: MessageForDelivery | null }> {
    const hold = `(t.mode = 'active' AND d.route_kind = 'upstream')`;
    const { rows } = await preparedQuery<ClaimedDelivery & { state: DeliveryState; m: MessageForDelivery & PreloadedMessageColumns }>(
      this.ds,
      'delivery-claim-and-load',
      `UPDATE deliveries d SET
          lease_owner = CASE WHEN ${hold} THEN NULL ELSE $2 END,
          lease_expires_at = CASE WHEN ${hold} THEN NULL ELSE now() + make_interval(secs => $3) END,
          state = CASE WHEN ${hold} THEN 'held' ELSE d.state END,
          held_at = CASE WHEN ${hold} THEN now() ELSE d.held_at END,
          held_remaining_seconds = CASE WHEN ${hold} THEN ${REMAINING_LIFETIME} ELSE d.held_remaining_seconds END
         FROM tenants t, messages m
        WHERE t.id = d.tenant_id AND m.id = d.message_id AND m.tenant_id = d.tenant_id
          AND d.message_id = $1 AND d.state IN ('queued','deferred') AND d.next_attempt_at <= now()
          AND (d.lease_expires_at IS NULL OR d.lease_expires_at < now())
        RETURNING d.id, d.tenant_id AS "tenantId", d.message_id AS "messageId", d.recipient, d.route_kind AS "routeKind", d.attempts,
                  d.expires_at AS "expiresAt", d.last_reply AS "lastReply", d.last_route AS "lastRoute", d.last_attempt_at AS "lastAttemptAt", d.state,
                  json_build_object(
                    'id', m.id, 'tenantId', m.tenant_id, 'queueId', m.queue_id, 'direction', m.direction, 'blobKey', m.blob_key,
                    'sizeBytes', m.size_bytes::float8, 'mailFrom', m.mail_from, 'body8bitmime', m.body_8bitmime, 'smtputf8', m.smtputf8,
                    'receivedAt', m.received_at, 'authResults', m.auth_results, 'authSummary', m.auth_summary,
                    'clientAddress', m.client_address, 'clientHelo', m.client_helo, 'rejectOnDmarcFail', t.reject_on_dmarc_fail, 'signDkim', m.sign_dkim
                  ) AS m`,
      [messageId, owner, leaseSeconds],
    );
    const claimed = rows.filter((r) => r.state !== 'held').map(({ state: _state, m: _m, ...r }) => ({ ...r, expiresAt: new Date(r.expiresAt) }));
    const m = claimed.length ? rows.find((r) => r.state !== 'held')?.m : undefined;
    const message: MessageForDelivery | null = m
      ? {
          id: m.id, tenantId: m.tenantId, queueId: m.queueId, direction: m.direction, blobKey: m.blobKey, sizeBytes: Number(m.sizeBytes), mailFrom: m.mailFrom,
          body8bitmime: m.body8bitmime, smtputf8: m.smtputf8, receivedAt: new Date(m.receivedAt),
          preloaded: { authResults: m.authResults, authSummary: m.authSummary, clientAddress: m.clientAddress, clientHelo: m.clientHelo, rejectOnDmarcFail: m.rejectOnDmarcFail === true, signDkim: m.signDkim === true },
        }
      : null;
    return { claimed, held: rows.length - claimed.length, message };
  }

  /** The tenant's continuity mode now ('active' holds its inbound deliveries). */
  async tenantMode(tenantId: string): Promise<string> {
    const rows = await this.ds.query(`SELECT mode FROM tenants WHERE id = $1`, [tenantId]);
    return rows[0]?.mode ?? 'normal';
  }

  /** Leases deferred rows whose lifetime ended more than `graceSeconds` ago and were not attempted since (jobs lost). */
  async claimLongExpired(owner: string, leaseSeconds: number, graceSeconds: number, limit: number): Promise<ClaimedDelivery[]> {
    const rows = await this.ds.query(
      `UPDATE deliveries SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2)
        WHERE id IN (
          SELECT id FROM deliveries
           WHERE state = 'deferred' AND expires_at < now() - make_interval(secs => $3)
             AND (lease_expires_at IS NULL OR lease_expires_at < now())
           ORDER BY expires_at LIMIT $4 FOR UPDATE SKIP LOCKED)
        RETURNING ${CLAIMED_COLUMNS}`,
      [owner, leaseSeconds, graceSeconds, limit],
    );
    return (rows[0] && Array.isArray(rows[0]) ? rows[0] : rows) as ClaimedDelivery[];
  }

  // Lease updates name the messages so they use the (message_id, recipient) index, not a scan for the owner.
  async renewLease(owner: string, messageId: string, leaseSeconds: number): Promise<void> {
    await this.ds.query(`UPDATE deliveries SET lease_expires_at = now() + make_interval(secs => $3) WHERE message_id = $1 AND lease_owner = $2`, [messageId, owner, leaseSeconds]);
  }

  async releaseLease(owner: string, messageIds: string[]): Promise<void> {
    await this.ds.query(`UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE message_id = ANY($1::uuid[]) AND lease_owner = $2`, [messageIds, owner]);
  }

  async loadMessage(tenantId: string, messageId: string): Promise<MessageForDelivery | null> {
    const rows = await this.ds.query(
      `SELECT id, tenant_id AS "tenantId", queue_id AS "queueId", direction, blob_key AS "blobKey", size_bytes::float8 AS "sizeBytes",
              mail_from AS "mailFrom", body_8bitmime AS "body8bitmime", smtputf8, received_at AS "receivedAt"
         FROM messages WHERE tenant_id = $1 AND id = $2`,
      [tenantId, messageId],
    );
    return rows[0] ?? null;
  }

  /** The tenant owning a verified domain, or null (decides upstream vs internet for a DSN). */
  async tenantOfVerifiedDomain(domain: string): Promise<string | null> {
    const rows = await this.ds.query(`SELECT tenant_id AS "tenantId" FROM tenant_domains WHERE name = $1 AND verified_at IS NOT NULL`, [domain]);
    return rows[0]?.tenantId ?? null;
  }

  async upstreamsOfTenant(tenantId: string): Promise<UpstreamRow[]> {
    return this.ds.query(
      `SELECT u.host, u.port, u.priority, u.tls_policy AS "tlsPolicy", u.pinned_cert_pem AS "pinnedCertPem", u.private_address_allowed AS "privateAddressAllowed"
         FROM upstreams u WHERE u.tenant_id = $1 ORDER BY u.priority, u.created_at`,
      [tenantId],
    );
  }

  async tenantLifetimeSeconds(tenantId: string): Promise<number> {
    const rows = await this.ds.query(`SELECT delivery_lifetime_seconds AS s FROM tenants WHERE id = $1`, [tenantId]);
    return rows[0]?.s ?? 5 * 86400;
  }

  /**
   * Writes the outcome of an attempt and, in the same transaction, the DSN
   * message and its delivery row. Returns false (and writes nothing) when the
   * lease on any row was lost meanwhile.
   */
  async recordAttempt(owner: string, updates: DeliveryUpdate[], dsn: DsnRecord | null): Promise<{ recorded: boolean; dsnMessageId: string | null; dsnMirrored: boolean }> {
    if (!dsn) return { recorded: await this.recordOutcomes(owner, updates), dsnMessageId: null, dsnMirrored: false };
    return this.ds.transaction(async (em) => {
      let dsnMessageId: string | null = null;
      let dsnMirrored = false;
      if (dsn) ({ dsnMessageId, dsnMirrored } = await this.insertDsn(em, dsn));
      const res = await em.query(
        `UPDATE deliveries d SET ${OUTCOME_SET}
          FROM ${OUTCOME_ROWS}
         WHERE d.id = v.id AND d.lease_owner = $1`,
        outcomeParams(owner, updates),
      );
      const count = Array.isArray(res) && typeof res[1] === 'number' ? res[1] : updates.length;
      if (count !== updates.length) {
        // Another worker holds these rows now; its outcome stands, ours (and our DSN) must not.
        throw new LeaseLostError(`${updates.length - count} of ${updates.length} leases lost`);
      }
      return { recorded: true, dsnMessageId, dsnMirrored };
    }).catch((e) => {
      if (e instanceof LeaseLostError) return { recorded: false, dsnMessageId: null, dsnMirrored: false };
      throw e;
    });
  }

  /**
   * recordAttempt without a DSN (the common case) as one statement in
   * autocommit, all or nothing like the transaction: it first locks the rows
   * still leased to `owner`, and writes only if that is every row named. A
   * row whose lease was taken over is not locked (FOR UPDATE re-checks the
   * owner on the newest version), and once locked no one else can take it
   * before this statement commits.
   */
  private async recordOutcomes(owner: string, updates: DeliveryUpdate[]): Promise<boolean> {
    if (!updates.length) return true;
    const { rowCount } = await preparedQuery(
      this.ds,
      'delivery-record-outcomes',
      `WITH locked AS (
         SELECT id FROM deliveries WHERE id = ANY($2::uuid[]) AND lease_owner = $1 FOR UPDATE
       ), ours AS (
         SELECT count(*) = cardinality($2::uuid[]) AS all_ours FROM locked
       )
       UPDATE deliveries d SET ${OUTCOME_SET}
          FROM ours, ${OUTCOME_ROWS}
         WHERE ours.all_ours AND d.id = v.id AND d.lease_owner = $1`,
      outcomeParams(owner, updates),
    );
    return rowCount === updates.length;
  }

  private async insertDsn(em: EntityManager, dsn: DsnRecord): Promise<{ dsnMessageId: string; dsnMirrored: boolean }> {
    const m = await em.query(
      `INSERT INTO messages (tenant_id, queue_id, direction, blob_key, size_bytes, mail_from, rcpt_to, body_8bitmime, smtputf8, received_at)
       VALUES ($1, $2, 'dsn', $3, $4, '', $5, $6, $7, now()) RETURNING id`,
      [dsn.tenantId, dsn.queueId, dsn.blobKey, dsn.sizeBytes, [dsn.recipient], dsn.body8bitmime, dsn.smtputf8],
    );
    const dsnMessageId: string = m[0].id;
    await em.query(
      `INSERT INTO deliveries (tenant_id, message_id, recipient, route_kind, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [dsn.tenantId, dsnMessageId, dsn.recipient, dsn.routeKind, dsn.lifetimeSeconds],
    );
    // The sender's standby mailbox gets the DSN in its inbox, like any mail to it.
    const mirrored = await em.query(
      `INSERT INTO mirror_entries (tenant_id, mailbox_id, message_id, folder, received_at)
       SELECT $1, id, $2, 'inbox', now() FROM mailboxes WHERE tenant_id = $1 AND address = lower($3) AND status = 'active'
       ON CONFLICT DO NOTHING RETURNING id`,
      [dsn.tenantId, dsnMessageId, dsn.recipient],
    );
    return { dsnMessageId, dsnMirrored: mirrored.length > 0 };
  }

  // ---------------------------------------------------------------- sweeper queries

  /** Messages with due rows nobody holds, with their earliest due time. */
  async dueUnleased(olderThanMs: number, limit: number): Promise<{ messageId: string; tenantId: string; dueAt: Date; leaseExpiredAt: Date | null }[]> {
    return this.ds.query(
      `SELECT message_id AS "messageId", min(tenant_id::text) AS "tenantId", min(next_attempt_at) AS "dueAt", max(lease_expires_at) AS "leaseExpiredAt"
         FROM deliveries
        WHERE state IN ('queued','deferred') AND next_attempt_at <= now() - make_interval(secs => $1::float8 / 1000)
          AND (lease_expires_at IS NULL OR lease_expires_at < now())
        GROUP BY message_id ORDER BY min(next_attempt_at) LIMIT $2`,
      [olderThanMs, limit],
    );
  }

  async pendingIndex(olderThanSeconds: number, limit: number): Promise<{ messageId: string; tenantId: string }[]> {
    return this.ds.query(
      `SELECT id AS "messageId", tenant_id AS "tenantId" FROM messages
        WHERE index_state = 'pending' AND received_at < now() - make_interval(secs => $1)
        ORDER BY received_at LIMIT $2`,
      [olderThanSeconds, limit],
    );
  }

  async depthByState(): Promise<Record<string, number>> {
    const rows: { state: string; n: string }[] = await this.ds.query(`SELECT state, count(*) AS n FROM deliveries WHERE state IN ('queued','deferred','held') GROUP BY state`);
    const out: Record<string, number> = { queued: 0, deferred: 0, held: 0 };
    for (const r of rows) out[r.state] = Number(r.n);
    return out;
  }
}

export class LeaseLostError extends Error {}

function unwrapRows<T>(res: unknown): T[] {
  // TypeORM answers an UPDATE … RETURNING with [rows, count].
  return (Array.isArray(res) && Array.isArray(res[0]) ? res[0] : res) as T[];
}
