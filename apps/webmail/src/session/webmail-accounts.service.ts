import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Queues } from '@app/queues';
import { hashPassword, verifyPassword } from './passwords';

export type SigninMethod = 'code' | 'link' | 'password';

/** A user mailbox that may hold a webmail account, with the account if there is one. */
export interface AccountCandidate {
  mailboxId: string;
  tenantId: string;
  address: string;
  displayName: string;
  passwordHash: string | null;
  lockedUntil: Date | null;
}

export type PasswordCheck =
  | { ok: true; account: AccountCandidate }
  | { ok: false; lockedForSeconds: number | null };

/** Lock time after `failures` wrong passwords in a row: a minute at the threshold, doubling, at most an hour. */
export function lockSeconds(failures: number, lockAfter: number): number | null {
  if (failures < lockAfter) return null;
  return Math.min(3600, 60 * 2 ** Math.min(10, failures - lockAfter));
}

/**
 * Webmail accounts (a password per user mailbox) and the record of sign-ins.
 * Wrong passwords lock the account for a while (WEBMAIL_LOCKOUT_AFTER_FAILURES);
 * addresses without an account are counted the same way in Redis, so the
 * answers never tell whether an address exists.
 */
@Injectable()
export class WebmailAccountsService {
  constructor(
    private readonly ds: DataSource,
    private readonly queues: Queues,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'WEBMAIL_LOCKOUT_AFTER_FAILURES' | 'REDIS_PREFIX'>,
  ) {}

  /** An active user mailbox of the tenant (null for shared, disabled, unknown or another tenant's mailbox). */
  async mailbox(tenantId: string, mailboxId: string): Promise<{ address: string; displayName: string } | null> {
    const rows = await this.ds.query(
      `SELECT address, display_name FROM mailboxes WHERE tenant_id = $1 AND id = $2 AND status = 'active' AND kind = 'user'`,
      [tenantId, mailboxId],
    );
    return rows[0] ? { address: rows[0].address, displayName: rows[0].display_name || rows[0].address } : null;
  }

  /** The id of the tenant's active user mailbox with this address (null: none). */
  async mailboxIdByAddress(tenantId: string, address: string): Promise<string | null> {
    const rows = await this.ds.query(
      `SELECT id FROM mailboxes WHERE tenant_id = $1 AND address = lower($2) AND status = 'active' AND kind = 'user'`,
      [tenantId, address.trim()],
    );
    return rows[0]?.id ?? null;
  }

  private async candidate(address: string): Promise<AccountCandidate | null> {
    const rows = await this.ds.query(
      `SELECT m.id, m.tenant_id, m.address, m.display_name, a.password_hash, a.locked_until
         FROM mailboxes m LEFT JOIN webmail_accounts a ON a.mailbox_id = m.id AND a.tenant_id = m.tenant_id
        WHERE m.address = lower($1) AND m.status = 'active' AND m.kind = 'user'`,
      [address.trim()],
    );
    const r = rows[0];
    if (!r || !r.password_hash) return null;
    return { mailboxId: r.id, tenantId: r.tenant_id, address: r.address, displayName: r.display_name || r.address, passwordHash: r.password_hash, lockedUntil: r.locked_until };
  }

  private unknownKey(address: string): string {
    return `${this.cfg.REDIS_PREFIX}:webmail-pwfail:${createHash('sha256').update(address.trim().toLowerCase()).digest('hex')}`;
  }

  /**
   * Address and password. A locked account is refused without checking the
   * password; a wrong one counts towards the lock. Unknown addresses (and
   * mailboxes without a password yet) take as long and lock alike.
   */
  async checkPassword(address: string, password: string): Promise<PasswordCheck> {
    const account = await this.candidate(address);
    const lockAfter = this.cfg.WEBMAIL_LOCKOUT_AFTER_FAILURES;
    if (!account) {
      const redis = this.queues.connection;
      const key = this.unknownKey(address);
      const lockedFor = await redis.pttl(`${key}:lock`);
      if (lockedFor > 0) return { ok: false, lockedForSeconds: Math.ceil(lockedFor / 1000) };
      await verifyPassword(null, password);
      const failures = await redis.incr(key);
      await redis.expire(key, 24 * 3600);
      const lock = lockSeconds(failures, lockAfter);
      if (lock) await redis.set(`${key}:lock`, '1', 'EX', lock);
      return { ok: false, lockedForSeconds: lock };
    }
    if (account.lockedUntil && account.lockedUntil.getTime() > Date.now()) {
      return { ok: false, lockedForSeconds: Math.ceil((account.lockedUntil.getTime() - Date.now()) / 1000) };
    }
    if (await verifyPassword(account.passwordHash, password)) return { ok: true, account };
    const rows = await this.ds.query(
      `UPDATE webmail_accounts SET failed_attempts = failed_attempts + 1, updated_at = now() WHERE tenant_id = $1 AND mailbox_id = $2 RETURNING failed_attempts`,
      [account.tenantId, account.mailboxId],
    );
    // TypeORM answers an UPDATE … RETURNING with [rows, count].
    const updated = (Array.isArray(rows[0]) ? rows[0] : rows) as Array<{ failed_attempts: number }>;
    const lock = lockSeconds(updated[0]?.failed_attempts ?? 0, lockAfter);
    if (lock) {
      await this.ds.query(`UPDATE webmail_accounts SET locked_until = now() + make_interval(secs => $3) WHERE tenant_id = $1 AND mailbox_id = $2`, [account.tenantId, account.mailboxId, lock]);
    }
    return { ok: false, lockedForSeconds: lock };
  }

  /** Whether `password` is the mailbox's current one (for a password change; does not count towards the lock). */
  async verifyCurrent(tenantId: string, mailboxId: string, password: string): Promise<boolean> {
    const rows = await this.ds.query(`SELECT password_hash FROM webmail_accounts WHERE tenant_id = $1 AND mailbox_id = $2`, [tenantId, mailboxId]);
    return verifyPassword(rows[0]?.password_hash ?? null, password);
  }

  /** Sets (or resets) the mailbox's password; a new password also lifts a lock. */
  async setPassword(tenantId: string, mailboxId: string, password: string): Promise<void> {
    const hash = await hashPassword(password);
    await this.ds.query(
      `INSERT INTO webmail_accounts (mailbox_id, tenant_id, password_hash, password_set_at)
       SELECT m.id, m.tenant_id, $3, now() FROM mailboxes m WHERE m.tenant_id = $1 AND m.id = $2
       ON CONFLICT (mailbox_id) DO UPDATE SET password_hash = EXCLUDED.password_hash, password_set_at = now(),
         failed_attempts = 0, locked_until = NULL, updated_at = now()
       WHERE webmail_accounts.tenant_id = EXCLUDED.tenant_id`,
      [tenantId, mailboxId, hash],
    );
  }

  /** A completed sign-in: kept for the readiness report, and the account's failure count starts over. */
  async recordSignin(tenantId: string, mailboxId: string, method: SigninMethod, ip: string | null): Promise<void> {
    await this.ds.transaction(async (em) => {
      await em.query(`INSERT INTO webmail_signins (tenant_id, mailbox_id, method, ip) VALUES ($1, $2, $3, $4)`, [tenantId, mailboxId, method, ip]);
      await em.query(
        `UPDATE webmail_accounts SET last_signin_at = now(), failed_attempts = 0, locked_until = NULL, updated_at = now() WHERE tenant_id = $1 AND mailbox_id = $2`,
        [tenantId, mailboxId],
      );
    });
  }
}
