import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';

export const SESSION_COOKIE = 'mc_webmail';
export const CSRF_HEADER = 'x-csrf-token';

/** A session as the guard found it: whose, and its CSRF token. */
export interface WebmailSessionContext {
  id: string;
  tenantId: string;
  mailboxId: string;
  address: string;
  displayName: string;
  csrfToken: string;
}

export function sha256(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function newToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Employees' webmail sessions. The cookie carries a random token; the table
 * keeps only its sha256, bound to one tenant and one mailbox. A session ends
 * after WEBMAIL_SESSION_IDLE_MINUTES without requests and at the latest
 * WEBMAIL_SESSION_MAX_HOURS after sign-in.
 */
@Injectable()
export class WebmailSessionsService {
  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'WEBMAIL_SESSION_IDLE_MINUTES' | 'WEBMAIL_SESSION_MAX_HOURS'>,
  ) {}

  get maxAgeMs(): number {
    return Math.round(this.cfg.WEBMAIL_SESSION_MAX_HOURS * 3600_000);
  }

  async create(tenantId: string, mailboxId: string, ip: string | null, userAgent: string | null): Promise<{ id: string; token: string; csrfToken: string }> {
    const token = newToken();
    const csrfToken = newToken(24);
    // Expired sessions are swept as new ones are made: the table stays small without a job.
    await this.ds.query(`DELETE FROM webmail_sessions WHERE expires_at < now()`);
    await this.ds.query(`DELETE FROM webmail_sessions WHERE tenant_id = $1 AND mailbox_id = $2 AND idle_expires_at < now()`, [tenantId, mailboxId]);
    const rows = await this.ds.query(
      `INSERT INTO webmail_sessions (token_sha256, tenant_id, mailbox_id, csrf_token, idle_expires_at, expires_at, ip, user_agent)
       VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5), now() + make_interval(secs => $6), $7, $8) RETURNING id`,
      [sha256(token), tenantId, mailboxId, csrfToken, this.cfg.WEBMAIL_SESSION_IDLE_MINUTES, this.cfg.WEBMAIL_SESSION_MAX_HOURS * 3600, ip, userAgent?.slice(0, 400) ?? null],
    );
    return { id: rows[0].id, token, csrfToken };
  }

  /**
   * The live session behind a cookie's token, with its mailbox (active, of the
   * session's own tenant), or null. Extends the idle expiry (at most every 15 s).
   */
  async lookup(token: string): Promise<WebmailSessionContext | null> {
    if (!token || token.length > 200) return null;
    const rows = await this.ds.query(
      `SELECT s.id, s.tenant_id, s.mailbox_id, s.csrf_token, s.last_seen_at < now() - interval '15 seconds' AS stale, m.address, m.display_name
         FROM webmail_sessions s JOIN mailboxes m ON m.id = s.mailbox_id AND m.tenant_id = s.tenant_id
        WHERE s.token_sha256 = $1 AND s.expires_at > now() AND s.idle_expires_at > now() AND m.status = 'active' AND m.kind = 'user'`,
      [sha256(token)],
    );
    const r = rows[0];
    if (!r) return null;
    if (r.stale) {
      await this.ds.query(
        `UPDATE webmail_sessions SET last_seen_at = now(), idle_expires_at = LEAST(expires_at, now() + make_interval(mins => $2)) WHERE id = $1`,
        [r.id, this.cfg.WEBMAIL_SESSION_IDLE_MINUTES],
      );
    }
    return { id: r.id, tenantId: r.tenant_id, mailboxId: r.mailbox_id, address: r.address, displayName: r.display_name || r.address, csrfToken: r.csrf_token };
  }

  async delete(tenantId: string, sessionId: string): Promise<void> {
    await this.ds.query(`DELETE FROM webmail_sessions WHERE tenant_id = $1 AND id = $2`, [tenantId, sessionId]);
  }

  /** Ends every session of the tenant (its webmail closed). */
  async deleteAllOfTenant(tenantId: string): Promise<void> {
    await this.ds.query(`DELETE FROM webmail_sessions WHERE tenant_id = $1`, [tenantId]);
  }

  /** Ends every session of the mailbox except `keepId` (after a password change). */
  async deleteOthers(tenantId: string, mailboxId: string, keepId: string | null): Promise<number> {
    const rows = await this.ds.query(
      `DELETE FROM webmail_sessions WHERE tenant_id = $1 AND mailbox_id = $2 AND ($3::uuid IS NULL OR id <> $3::uuid) RETURNING id`,
      [tenantId, mailboxId, keepId],
    );
    // TypeORM answers a DELETE … RETURNING with [rows, count].
    return Array.isArray(rows[0]) ? (rows[1] as number) : rows.length;
  }
}
