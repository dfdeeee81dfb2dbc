import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { HttpError } from '@app/http';
import { hashPassword, passwordProblem } from './passwords';
import { decryptTotpSecret, encryptTotpSecret, newTotpSecret, otpauthUrl, totpKeyFrom, totpStepOf } from './totp-secrets';

/** Roles nest: operator (every tenant) > admin > viewer (one tenant each). */
export type AdminRole = 'operator' | 'admin' | 'viewer';

export interface AdminUserRow {
  id: string;
  tenant_id: string | null;
  email: string;
  name: string;
  password_hash: string;
  role: AdminRole;
  totp_secret_enc: string | null;
  totp_enabled_at: Date | null;
  totp_last_step: string | null;
  failed_attempts: number;
  locked_until: Date | null;
  last_login_at: Date | null;
  created_at: Date;
}

export interface AdminUserView {
  id: string;
  email: string;
  name: string;
  role: AdminRole;
  tenantId: string | null;
  totpEnabled: boolean;
  lastLoginAt: string | null;
  lockedUntil: string | null;
  createdAt: string;
}

export function adminUserView(u: AdminUserRow): AdminUserView {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    tenantId: u.tenant_id,
    totpEnabled: !!u.totp_enabled_at,
    lastLoginAt: u.last_login_at ? u.last_login_at.toISOString() : null,
    lockedUntil: u.locked_until && u.locked_until > new Date() ? u.locked_until.toISOString() : null,
    createdAt: u.created_at.toISOString(),
  };
}

/** Consecutive failures after which an account is locked, and the lock's growth. */
export const LOCK_AFTER_FAILURES = 10;
export function lockMinutesAfter(failures: number): number {
  return failures < LOCK_AFTER_FAILURES ? 0 : Math.min(60, 2 ** (failures - LOCK_AFTER_FAILURES));
}

/** TypeORM answers an UPDATE … RETURNING with [rows, count], anything else with rows. */
export function returnedRows<T>(result: unknown): T[] {
  const r = result as unknown[];
  return (Array.isArray(r) && Array.isArray(r[0]) ? r[0] : r) as T[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);

export interface NewAdminUser {
  email: string;
  name: string;
  role: AdminRole;
  tenantId: string | null;
  password: string;
}

/**
 * Admin accounts: operators (no tenant), tenant admins and viewers. Passwords
 * are argon2id hashes; TOTP secrets are encrypted at rest; a code is accepted
 * once (the last accepted time step is kept).
 */
@Injectable()
export class AdminUsersService {
  private readonly totpKey: Buffer;

  constructor(private readonly ds: DataSource, @Inject(APP_CONFIG) cfg: Pick<AppConfig, 'NODE_ENV' | 'DKIM_KEY_ENCRYPTION_KEY'>) {
    this.totpKey = totpKeyFrom(cfg);
  }

  async byEmail(email: string): Promise<AdminUserRow | null> {
    const rows: AdminUserRow[] = await this.ds.query(`SELECT * FROM admin_users WHERE email = $1`, [email.trim().toLowerCase()]);
    return rows[0] ?? null;
  }

  async byId(id: string): Promise<AdminUserRow | null> {
    if (!isUuid(id)) return null;
    const rows: AdminUserRow[] = await this.ds.query(`SELECT * FROM admin_users WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** A tenant's admins and viewers (scoped by tenant; another tenant's id finds nothing). */
  async listOfTenant(tenantId: string): Promise<AdminUserRow[]> {
    return this.ds.query(`SELECT * FROM admin_users WHERE tenant_id = $1 ORDER BY email`, [tenantId]);
  }

  async inTenant(tenantId: string, id: string): Promise<AdminUserRow> {
    const rows: AdminUserRow[] = isUuid(id) ? await this.ds.query(`SELECT * FROM admin_users WHERE id = $1 AND tenant_id = $2`, [id, tenantId]) : [];
    if (!rows[0]) throw new HttpError(404, 'admin_not_found', 'no such admin in this tenant');
    return rows[0];
  }

  async create(u: NewAdminUser): Promise<AdminUserRow> {
    const email = u.email.trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new HttpError(400, 'invalid_request', 'email: not an e-mail address');
    if ((u.role === 'operator') !== (u.tenantId === null)) {
      throw new HttpError(400, 'invalid_request', u.role === 'operator' ? 'an operator belongs to no tenant' : `an ${u.role} belongs to a tenant`);
    }
    const problem = passwordProblem(u.password);
    if (problem) throw new HttpError(400, 'weak_password', problem);
    const hash = await hashPassword(u.password);
    try {
      const rows: AdminUserRow[] = await this.ds.query(
        `INSERT INTO admin_users (tenant_id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [u.tenantId, email, u.name.trim() || email, hash, u.role],
      );
      return rows[0];
    } catch (e) {
      if ((e as { code?: string }).code === '23505') throw new HttpError(409, 'admin_exists', 'an admin with this e-mail address exists');
      if ((e as { code?: string }).code === '23503') throw new HttpError(404, 'tenant_not_found', 'no such tenant');
      throw e;
    }
  }

  async update(id: string, change: { name?: string; role?: AdminRole; password?: string; unlock?: boolean; resetTotp?: boolean }): Promise<AdminUserRow> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (col: string, v: unknown) => {
      params.push(v);
      sets.push(`${col} = $${params.length}`);
    };
    if (change.name !== undefined) set('name', change.name.trim());
    if (change.role !== undefined) set('role', change.role);
    if (change.password !== undefined) {
      const problem = passwordProblem(change.password);
      if (problem) throw new HttpError(400, 'weak_password', problem);
      set('password_hash', await hashPassword(change.password));
    }
    if (change.unlock) sets.push('failed_attempts = 0', 'locked_until = NULL');
    if (change.resetTotp) sets.push('totp_secret_enc = NULL', 'totp_enabled_at = NULL', 'totp_last_step = NULL');
    sets.push('updated_at = now()');
    const rows = returnedRows<AdminUserRow>(await this.ds.query(`UPDATE admin_users SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, params));
    if (!rows[0]) throw new HttpError(404, 'admin_not_found', 'no such admin');
    return rows[0];
  }

  async remove(id: string): Promise<void> {
    await this.ds.query(`DELETE FROM admin_users WHERE id = $1`, [id]);
  }

  /** After a wrong password: one more failure, and a lock once there are many in a row. Returns the lock's end, if any. */
  async recordFailure(id: string): Promise<Date | null> {
    const rows = returnedRows<{ failed_attempts: number }>(
      await this.ds.query(`UPDATE admin_users SET failed_attempts = failed_attempts + 1 WHERE id = $1 RETURNING failed_attempts`, [id]),
    );
    const minutes = lockMinutesAfter(rows[0]?.failed_attempts ?? 0);
    if (minutes === 0) return null;
    const until = new Date(Date.now() + minutes * 60_000);
    await this.ds.query(`UPDATE admin_users SET locked_until = $2 WHERE id = $1`, [id, until]);
    return until;
  }

  async recordSuccess(id: string): Promise<void> {
    await this.ds.query(`UPDATE admin_users SET failed_attempts = 0, locked_until = NULL, last_login_at = now() WHERE id = $1`, [id]);
  }

  /** Starts (or restarts) enrolment: a new secret, stored encrypted, not yet enabled. */
  async beginTotpEnrolment(user: AdminUserRow): Promise<{ secret: string; otpauthUrl: string }> {
    if (user.totp_enabled_at) throw new HttpError(409, 'totp_enrolled', 'TOTP is already enrolled; an operator can reset it');
    const secret = newTotpSecret();
    await this.ds.query(`UPDATE admin_users SET totp_secret_enc = $2, updated_at = now() WHERE id = $1 AND totp_enabled_at IS NULL`, [
      user.id,
      encryptTotpSecret(this.totpKey, secret, user.id),
    ]);
    return { secret, otpauthUrl: otpauthUrl(user.email, secret) };
  }

  /** Stores a known secret as enrolled (the CLI and test fixtures). */
  async enrolTotpSecret(userId: string, secret: string): Promise<void> {
    await this.ds.query(`UPDATE admin_users SET totp_secret_enc = $2, totp_enabled_at = now(), totp_last_step = NULL, updated_at = now() WHERE id = $1`, [
      userId,
      encryptTotpSecret(this.totpKey, secret, userId),
    ]);
  }

  /**
   * Whether `code` is the user's current code and was not used before; on
   * success the step is remembered (atomically, so two requests with one code
   * cannot both pass) and, with `enable`, enrolment is completed.
   */
  async acceptTotp(user: AdminUserRow, code: string, enable = false): Promise<boolean> {
    if (!user.totp_secret_enc) return false;
    let secret: string;
    try {
      secret = decryptTotpSecret(this.totpKey, user.totp_secret_enc, user.id);
    } catch {
      throw new HttpError(500, 'totp_unreadable', 'the stored TOTP secret cannot be read; an operator can reset it');
    }
    const step = totpStepOf(code.trim(), secret);
    if (step === null) return false;
    const rows = returnedRows<{ id: string }>(await this.ds.query(
      `UPDATE admin_users SET totp_last_step = $2 ${enable ? ', totp_enabled_at = COALESCE(totp_enabled_at, now())' : ''}
        WHERE id = $1 AND totp_secret_enc = $3 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING id`,
      [user.id, step, user.totp_secret_enc],
    ));
    return rows.length === 1;
  }
}
