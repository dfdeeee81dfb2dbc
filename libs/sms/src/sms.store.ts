import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { NewSms, SmsRow, SmsState } from './sms.types';

const ROW = `id, tenant_id AS "tenantId", mailbox_id AS "mailboxId", admin_id AS "adminId", to_e164 AS "toE164", kind, language, params, attempts`;

export type ClaimResult = { kind: 'claimed'; row: SmsRow } | { kind: 'capped'; row: SmsRow; firstInWindow: boolean } | { kind: 'none' };

/** A queued text as the enqueuer needs it. */
export interface QueuedSms { id: string; tenantId: string; nextAttemptAt: Date }

function rowsOf<T>(res: unknown): T[] {
  // TypeORM returns [rows, count] for UPDATE … RETURNING, plain rows for SELECT/INSERT.
  return (Array.isArray(res) && Array.isArray(res[0]) ? res[0] : res) as T[];
}

/**
 * The SMS queue of record. A row is sent only under a lease taken here; the
 * per-tenant hourly cap is a counter row per (tenant, hour) raised by one
 * compare-and-set per text, so many workers cannot overshoot it.
 */
@Injectable()
export class SmsStore {
  constructor(private readonly ds: DataSource) {}

  async insert(texts: NewSms[]): Promise<QueuedSms[]> {
    if (!texts.length) return [];
    return this.ds.query(
      `INSERT INTO sms_messages (tenant_id, mailbox_id, admin_id, to_e164, kind, language, params, dedupe_key)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::text[])
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id, tenant_id AS "tenantId", next_attempt_at AS "nextAttemptAt"`,
      [
        texts.map((t) => t.tenantId),
        texts.map((t) => t.mailboxId ?? null),
        texts.map((t) => t.adminId ?? null),
        texts.map((t) => t.toE164),
        texts.map((t) => t.kind),
        texts.map((t) => t.language),
        texts.map((t) => JSON.stringify(t.params ?? {})),
        texts.map((t) => t.dedupeKey ?? null),
      ],
    );
  }

  /**
   * One text for each active user mailbox of the tenant that has a mobile
   * number (all of them, or those listed), in ONE statement: 10,000 rows of
   * an activation are one round trip. `dedupePrefix` (e.g. a transition id)
   * makes a repeated call add nothing.
   */
  async insertForMailboxes(
    tenantId: string,
    kind: 'credentials' | 'back-to-normal',
    opts: { mailboxIds?: string[] | null; dedupePrefix?: string | null; params?: Record<string, unknown> },
  ): Promise<QueuedSms[]> {
    return this.ds.query(
      `INSERT INTO sms_messages (tenant_id, mailbox_id, to_e164, kind, language, params, dedupe_key)
       SELECT m.tenant_id, m.id, m.mobile_e164, $2, t.language, $4::jsonb,
              CASE WHEN $5::text IS NULL THEN NULL ELSE $5::text || '.' || $2 || '.' || m.id::text END
         FROM mailboxes m JOIN tenants t ON t.id = m.tenant_id
        WHERE m.tenant_id = $1 AND m.status = 'active' AND m.kind = 'user' AND m.mobile_e164 IS NOT NULL
          AND ($3::uuid[] IS NULL OR m.id = ANY($3::uuid[]))
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id, tenant_id AS "tenantId", next_attempt_at AS "nextAttemptAt"`,
      [tenantId, kind, opts.mailboxIds ?? null, JSON.stringify(opts.params ?? {}), opts.dedupePrefix ?? null],
    );
  }

  /** The tenant's own SMS sender and hourly cap (null: the configured ones). */
  async tenantSmsSettings(tenantId: string): Promise<{ sender: string | null; capPerHour: number | null }> {
    const rows = rowsOf<{ sender: string | null; capPerHour: number | null }>(
      await this.ds.query(`SELECT sms_sender AS sender, sms_cap_per_hour AS "capPerHour" FROM tenants WHERE id = $1`, [tenantId]),
    );
    return { sender: rows[0]?.sender ?? null, capPerHour: rows[0]?.capPerHour ?? null };
  }

  /**
   * Leases a due text and takes its place under the tenant's hourly cap (a
   * retry keeps the place it took). Admin alerts do not count: they are how
   * admins learn that the cap was reached.
   */
  async claim(smsId: string, tenantId: string, owner: string, leaseSeconds: number, capPerHour: number): Promise<ClaimResult> {
    return this.ds.transaction(async (em) => {
      const claimed = rowsOf<SmsRow & { countedAt: Date | null }>(
        await em.query(
          `UPDATE sms_messages SET state = 'sending', lease_owner = $3, lease_expires_at = now() + make_interval(secs => $4)
            WHERE id = $1 AND tenant_id = $2 AND state IN ('queued','sending') AND next_attempt_at <= now()
              AND (lease_expires_at IS NULL OR lease_expires_at < now())
            RETURNING ${ROW}, counted_at AS "countedAt"`,
          [smsId, tenantId, owner, leaseSeconds],
        ),
      );
      if (!claimed.length) return { kind: 'none' } as const;
      const { countedAt, ...row } = claimed[0];
      if (row.kind === 'admin-alert' || countedAt) return { kind: 'claimed', row } as const;
      const slot = await em.query(
        `INSERT INTO sms_cap_windows (tenant_id, window_start, used) VALUES ($1, date_trunc('hour', now()), 1)
         ON CONFLICT (tenant_id, window_start) DO UPDATE SET used = sms_cap_windows.used + 1 WHERE sms_cap_windows.used < $2
         RETURNING used`,
        [tenantId, capPerHour],
      );
      if (slot.length) {
        await em.query(`UPDATE sms_messages SET counted_at = now() WHERE id = $1`, [smsId]);
        return { kind: 'claimed', row } as const;
      }
      await em.query(
        `UPDATE sms_messages SET state = 'capped', lease_owner = NULL, lease_expires_at = NULL, last_error = $2, status_at = now() WHERE id = $1`,
        [smsId, `tenant cap of ${capPerHour} texts per hour reached`],
      );
      const first = await em.query(
        `UPDATE sms_cap_windows SET alerted_at = now() WHERE tenant_id = $1 AND window_start = date_trunc('hour', now()) AND alerted_at IS NULL RETURNING tenant_id`,
        [tenantId],
      );
      return { kind: 'capped', row, firstInWindow: rowsOf(first).length > 0 } as const;
    });
  }

  async recordSent(id: string, owner: string, providerSid: string): Promise<void> {
    await this.ds.query(
      `UPDATE sms_messages SET state = 'sent', provider_sid = $3, attempts = attempts + 1, sent_at = now(), status_at = now(), last_error = NULL,
              lease_owner = NULL, lease_expires_at = NULL
        WHERE id = $1 AND lease_owner = $2`,
      [id, owner, providerSid],
    );
  }

  /** Back to the queue for a later attempt; returns the due time, or null if the lease was lost. */
  async recordRetry(id: string, owner: string, delaySeconds: number, error: string): Promise<Date | null> {
    const rows = rowsOf<{ nextAttemptAt: Date }>(
      await this.ds.query(
        `UPDATE sms_messages SET state = 'queued', attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $3), last_error = $4,
                lease_owner = NULL, lease_expires_at = NULL
          WHERE id = $1 AND lease_owner = $2 RETURNING next_attempt_at AS "nextAttemptAt"`,
        [id, owner, delaySeconds, error],
      ),
    );
    return rows[0]?.nextAttemptAt ?? null;
  }

  async recordFailed(id: string, owner: string, error: string, attempted: boolean): Promise<void> {
    await this.ds.query(
      `UPDATE sms_messages SET state = 'failed', attempts = attempts + CASE WHEN $4 THEN 1 ELSE 0 END, last_error = $3, status_at = now(),
              lease_owner = NULL, lease_expires_at = NULL
        WHERE id = $1 AND lease_owner = $2`,
      [id, owner, error, attempted],
    );
  }

  /**
   * A delivery receipt. Receipts can arrive out of order: a final state
   * (delivered, undelivered, failed) is never replaced by 'sent'.
   */
  async applyProviderStatus(providerSid: string, state: Extract<SmsState, 'sent' | 'delivered' | 'undelivered' | 'failed'>, error: string | null): Promise<boolean> {
    const res = await this.ds.query(
      `UPDATE sms_messages SET state = CASE WHEN $2 = 'sent' THEN state ELSE $2 END, status_at = now(), last_error = COALESCE($3, last_error)
        WHERE provider_sid = $1 AND state IN ('sending','sent') RETURNING id`,
      [providerSid, state, error],
    );
    return rowsOf(res).length > 0;
  }

  /** Due texts nobody holds (queued, or 'sending' under a lease that ran out: its worker died). */
  async dueUnleased(slackMs: number, limit: number): Promise<{ id: string; tenantId: string; state: SmsState; nextAttemptAt: Date; leaseExpiresAt: Date | null }[]> {
    return this.ds.query(
      `SELECT id, tenant_id AS "tenantId", state, next_attempt_at AS "nextAttemptAt", lease_expires_at AS "leaseExpiresAt" FROM sms_messages
        WHERE state IN ('queued','sending') AND next_attempt_at <= now() - make_interval(secs => $1::float8 / 1000)
          AND (lease_expires_at IS NULL OR lease_expires_at < now())
        ORDER BY next_attempt_at LIMIT $2`,
      [slackMs, limit],
    );
  }
}
