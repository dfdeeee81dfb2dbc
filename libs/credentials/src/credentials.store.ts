import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { SmsTemplates } from '@app/tenants/tenant.entity';

export interface LiveCredential { id: string; codeHmac: string }
export interface CredentialState { id: string; tenantId: string; mailboxId: string; address: string; linkTokenHmac: string; expired: boolean; used: boolean; superseded: boolean; attempts: number; mailboxActive: boolean }
export interface RedeemedRow { id: string; tenantId: string; mailboxId: string }

function rowsOf<T>(res: unknown): T[] {
  return (Array.isArray(res) && Array.isArray(res[0]) ? res[0] : res) as T[];
}

/**
 * Credentials in Postgres: only HMACs, an expiry, an attempt counter and the
 * moment of use. Every change that decides a sign-in is one conditional
 * UPDATE, so two requests racing for one credential cannot both win.
 */
@Injectable()
export class CredentialsStore {
  constructor(private readonly ds: DataSource) {}

  /** Records a new credential and voids the unused ones of that mailbox and channel, in one transaction. */
  async insert(c: { tenantId: string; mailboxId: string; channel: 'sms' | 'email'; smsMessageId: string | null; codeHmac: string; linkTokenHmac: string; lifetimeSeconds: number }): Promise<{ id: string; expiresAt: Date }> {
    return this.ds.transaction(async (em) => {
      await em.query(
        `UPDATE credentials SET superseded_at = now() WHERE mailbox_id = $1 AND channel = $2 AND used_at IS NULL AND superseded_at IS NULL`,
        [c.mailboxId, c.channel],
      );
      const rows = await em.query(
        `INSERT INTO credentials (tenant_id, mailbox_id, channel, sms_message_id, code_hmac, link_token_hmac, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7)) RETURNING id, expires_at AS "expiresAt"`,
        [c.tenantId, c.mailboxId, c.channel, c.smsMessageId, c.codeHmac, c.linkTokenHmac, c.lifetimeSeconds],
      );
      return rows[0];
    });
  }

  async supersede(id: string): Promise<void> {
    await this.ds.query(`UPDATE credentials SET superseded_at = now() WHERE id = $1 AND used_at IS NULL AND superseded_at IS NULL`, [id]);
  }

  /** Voids every unused credential of the tenant's mailboxes (the event is over). */
  async supersedeAllOfTenant(tenantId: string): Promise<number> {
    const res = await this.ds.query(`UPDATE credentials SET superseded_at = now() WHERE tenant_id = $1 AND used_at IS NULL AND superseded_at IS NULL RETURNING id`, [tenantId]);
    return rowsOf(res).length;
  }

  async activeMailbox(address: string): Promise<{ id: string; tenantId: string; address: string } | null> {
    const rows = await this.ds.query(`SELECT id, tenant_id AS "tenantId", address FROM mailboxes WHERE address = lower($1) AND status = 'active'`, [address.trim()]);
    return rows[0] ?? null;
  }

  /** Counts one attempt against each usable credential of the mailbox and returns their code HMACs. */
  async countAttempt(mailboxId: string, maxAttempts: number): Promise<LiveCredential[]> {
    return rowsOf<LiveCredential>(
      await this.ds.query(
        `UPDATE credentials SET attempts = attempts + 1
          WHERE mailbox_id = $1 AND used_at IS NULL AND superseded_at IS NULL AND expires_at > now() AND attempts < $2
          RETURNING id, code_hmac AS "codeHmac"`,
        [mailboxId, maxAttempts],
      ),
    );
  }

  async byLinkTokenHmac(linkTokenHmac: string): Promise<CredentialState | null> {
    const rows = await this.ds.query(
      `SELECT c.id, c.tenant_id AS "tenantId", c.mailbox_id AS "mailboxId", m.address, c.link_token_hmac AS "linkTokenHmac",
              c.expires_at <= now() AS expired, c.used_at IS NOT NULL AS used, c.superseded_at IS NOT NULL AS superseded, c.attempts,
              m.status = 'active' AS "mailboxActive"
         FROM credentials c JOIN mailboxes m ON m.id = c.mailbox_id WHERE c.link_token_hmac = $1`,
      [linkTokenHmac],
    );
    return rows[0] ?? null;
  }

  /**
   * Compare-and-set of use: marks the credential used only if it is still
   * unused, not superseded, not expired and not locked, in the same statement
   * that checks it; then voids the mailbox's other unused credentials.
   */
  async markUsed(id: string, maxAttempts: number): Promise<RedeemedRow | null> {
    return this.ds.transaction(async (em) => {
      const rows = rowsOf<RedeemedRow>(
        await em.query(
          `UPDATE credentials SET used_at = now()
            WHERE id = $1 AND used_at IS NULL AND superseded_at IS NULL AND expires_at > now() AND attempts <= $2
            RETURNING id, tenant_id AS "tenantId", mailbox_id AS "mailboxId"`,
          [id, maxAttempts],
        ),
      );
      if (!rows.length) return null;
      await em.query(`UPDATE credentials SET superseded_at = now() WHERE mailbox_id = $1 AND id <> $2 AND used_at IS NULL AND superseded_at IS NULL`, [rows[0].mailboxId, id]);
      return rows[0];
    });
  }

  /** `smsTemplates`: the tenant's own texts per language (see credential-texts), `{}` when it has none. */
  async mailboxForText(mailboxId: string): Promise<{ id: string; tenantId: string; address: string; active: boolean; tenantName: string; language: string; smsTemplates: SmsTemplates } | null> {
    const rows = await this.ds.query(
      `SELECT m.id, m.tenant_id AS "tenantId", m.address, m.status = 'active' AS active, t.name AS "tenantName", t.language, t.sms_templates AS "smsTemplates"
         FROM mailboxes m JOIN tenants t ON t.id = m.tenant_id WHERE m.id = $1`,
      [mailboxId],
    );
    return rows[0] ?? null;
  }

  async mailboxForRequest(address: string): Promise<{ id: string; tenantId: string; address: string; mobileE164: string | null; alternateEmail: string | null; tenantName: string; language: string } | null> {
    const rows = await this.ds.query(
      `SELECT m.id, m.tenant_id AS "tenantId", m.address, m.mobile_e164 AS "mobileE164", m.alternate_email AS "alternateEmail", t.name AS "tenantName", t.language
         FROM mailboxes m JOIN tenants t ON t.id = m.tenant_id WHERE m.address = lower($1) AND m.status = 'active' AND m.kind = 'user'`,
      [address.trim()],
    );
    return rows[0] ?? null;
  }
}
