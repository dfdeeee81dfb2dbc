import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { CookieOptions, Response } from 'express';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AdminSessionContext, AdminUserRow, MfaState, SESSION_COOKIE } from './auth-metadata';
import { returnedRows } from '@app/admin-access';

/** A session without requests for this long is over, whatever its absolute expiry. */
export const SESSION_IDLE_MS = 60 * 60_000;
/** A password alone opens a session only for the second step, and only this long. */
export const SECOND_FACTOR_WINDOW_MS = 10 * 60_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

export function mfaStateOf(user: Pick<AdminUserRow, 'totp_enabled_at'>, mfaPassedAt: Date | null): MfaState {
  if (mfaPassedAt) return 'passed';
  return user.totp_enabled_at ? 'pending' : 'enrol';
}

/**
 * Admin sessions: a random token in an httpOnly cookie, only its sha256 in
 * the database, a CSRF token per session, and a second-factor state. A new
 * token is issued when the second factor passes, so a token seen before
 * sign-in completed is worth nothing after.
 */
@Injectable()
export class AdminSessionsService {
  constructor(private readonly ds: DataSource, @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'PUBLIC_API_URL' | 'ADMIN_SESSION_HOURS'>) {}

  cookieOptions(): CookieOptions {
    return {
      httpOnly: true,
      sameSite: 'strict',
      secure: !this.cfg.PUBLIC_API_URL.startsWith('http:'),
      path: '/',
    };
  }

  setCookie(res: Response, token: string): void {
    res.cookie(SESSION_COOKIE, token, { ...this.cookieOptions(), maxAge: this.cfg.ADMIN_SESSION_HOURS * 3600_000 });
  }

  clearCookie(res: Response): void {
    res.clearCookie(SESSION_COOKIE, this.cookieOptions());
  }

  async create(userId: string, mfaPassed: boolean, ip: string, userAgent: string | undefined): Promise<{ token: string; csrfToken: string; id: string }> {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const rows: Array<{ id: string }> = await this.ds.query(
      `INSERT INTO admin_sessions (user_id, token_hash, csrf_token, mfa_passed_at, ip, user_agent, expires_at)
       VALUES ($1, $2, $3, ${mfaPassed ? 'now()' : 'NULL'}, $4, $5, now() + make_interval(secs => $6)) RETURNING id`,
      [userId, sha256(token), csrfToken, ip, (userAgent ?? '').slice(0, 300), Math.round(this.cfg.ADMIN_SESSION_HOURS * 3600)],
    );
    return { token, csrfToken, id: rows[0].id };
  }

  /** The live session behind a cookie's token (touching it at most once a minute), or null. */
  async lookup(token: string): Promise<AdminSessionContext | null> {
    if (!token || token.length > 100) return null;
    const rows: Array<{ sid: string; csrf_token: string; mfa_passed_at: Date | null; last_seen_at: Date } & Record<string, unknown>> = await this.ds.query(
      `SELECT s.id AS sid, s.csrf_token, s.mfa_passed_at, s.last_seen_at, u.*
         FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => $2)
          AND (s.mfa_passed_at IS NOT NULL OR s.created_at > now() - make_interval(secs => $3))`,
      [sha256(token), SESSION_IDLE_MS / 1000, SECOND_FACTOR_WINDOW_MS / 1000],
    );
    const r = rows[0];
    if (!r) return null;
    if (Date.now() - r.last_seen_at.getTime() > 60_000) await this.ds.query(`UPDATE admin_sessions SET last_seen_at = now() WHERE id = $1`, [r.sid]);
    const { sid, csrf_token, mfa_passed_at, last_seen_at: _seen, ...user } = r;
    const u = user as unknown as AdminUserRow;
    return { id: sid, csrfToken: csrf_token, mfa: mfaStateOf(u, mfa_passed_at), user: u };
  }

  /** The second factor passed: the session is re-issued under a new token. */
  async passMfa(sessionId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const rows = returnedRows<{ id: string }>(
      await this.ds.query(`UPDATE admin_sessions SET mfa_passed_at = now(), token_hash = $2, last_seen_at = now() WHERE id = $1 RETURNING id`, [sessionId, sha256(token)]),
    );
    if (!rows[0]) throw new Error('session vanished while passing its second factor');
    return token;
  }

  async destroy(sessionId: string): Promise<void> {
    await this.ds.query(`DELETE FROM admin_sessions WHERE id = $1`, [sessionId]);
  }

  /** Ends every session of a user (password or TOTP reset, removal), optionally but one. */
  async destroyAllOf(userId: string, except?: string): Promise<void> {
    await this.ds.query(`DELETE FROM admin_sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2`, [userId, except ?? null]);
  }

  /** Expired sessions are deleted now and then, from sign-in, so the table stays small without a scheduler. */
  async purgeExpired(): Promise<void> {
    await this.ds.query(`DELETE FROM admin_sessions WHERE expires_at < now() OR last_seen_at < now() - make_interval(secs => $1)`, [SESSION_IDLE_MS / 1000]);
  }
}
