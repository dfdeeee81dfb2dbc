import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@app/config';
import { HttpError } from '@app/http';
import { AdminAuditService } from './admin-audit.service';
import { AdminSessionsService } from './admin-sessions.service';
import { AdminUsersService } from '@app/admin-access';
import { AdminUserRow, MfaState } from './auth-metadata';
import { verifyPassword } from '@app/admin-access';
import { RateCounter } from './rate-counter';

/** Failed sign-ins per account (known or not, so the limit says nothing about existence) per 15 minutes. */
export const ACCOUNT_FAILURES_PER_WINDOW = 5;
/** Wrong TOTP codes per account per 15 minutes. */
export const TOTP_FAILURES_PER_WINDOW = 5;
const WINDOW_SECONDS = 15 * 60;

export interface SignedIn {
  user: AdminUserRow;
  token: string;
  csrfToken: string;
  mfa: MfaState;
}

const INVALID = () => new HttpError(401, 'invalid_credentials', 'invalid email or password');
const accountKey = (email: string) => createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 32);

function tooMany(retryAfter: number): HttpError {
  return new HttpError(429, 'rate_limited', `too many sign-in attempts; try again in ${Math.ceil(retryAfter / 60)} min`, { retryAfter });
}

/**
 * Password sign-in and the TOTP step. One answer for an unknown address and a
 * wrong password; limits per client address and per account (in Redis), and a
 * growing lock on an account after many failures in a row (in the database).
 */
@Injectable()
export class AdminSignInService {
  constructor(
    private readonly users: AdminUsersService,
    private readonly sessions: AdminSessionsService,
    private readonly audit: AdminAuditService,
    private readonly rate: RateCounter,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'ADMIN_LOGIN_ATTEMPTS_PER_IP'>,
  ) {}

  async signIn(email: string, password: string, ip: string, userAgent: string | undefined): Promise<SignedIn> {
    const normalized = email.trim().toLowerCase();
    const perIp = await this.rate.hit(`login-ip.${ip}`, WINDOW_SECONDS, this.cfg.ADMIN_LOGIN_ATTEMPTS_PER_IP);
    if (!perIp.allowed) throw tooMany(perIp.retryAfter);
    const failures = await this.rate.exhausted(`login-fail.${accountKey(normalized)}`, WINDOW_SECONDS, ACCOUNT_FAILURES_PER_WINDOW);
    const user = await this.users.byEmail(normalized);
    const anonymous = { kind: 'anonymous' as const, id: null, name: normalized.slice(0, 200), ip };
    if (!failures.allowed) {
      await this.audit.recordAs(anonymous, user?.tenant_id ?? null, 'auth.login_blocked', user?.id ?? null, { email: normalized, reason: 'too_many_failures' });
      throw tooMany(failures.retryAfter);
    }
    if (user?.locked_until && user.locked_until > new Date()) {
      await this.audit.recordAs(anonymous, user.tenant_id, 'auth.login_blocked', user.id, { email: normalized, reason: 'locked', lockedUntil: user.locked_until.toISOString() });
      throw tooMany(Math.ceil((user.locked_until.getTime() - Date.now()) / 1000));
    }
    const ok = await verifyPassword(user?.password_hash ?? null, password);
    if (!user || !ok) {
      await this.rate.hit(`login-fail.${accountKey(normalized)}`, WINDOW_SECONDS, ACCOUNT_FAILURES_PER_WINDOW);
      const lockedUntil = user ? await this.users.recordFailure(user.id) : null;
      await this.audit.recordAs(anonymous, user?.tenant_id ?? null, 'auth.login_failed', user?.id ?? null, {
        email: normalized,
        reason: user ? 'wrong_password' : 'unknown_email',
        ...(lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {}),
      });
      throw INVALID();
    }
    await this.users.recordSuccess(user.id);
    await this.rate.clear(`login-fail.${accountKey(normalized)}`, WINDOW_SECONDS);
    if (Math.random() < 0.05) await this.sessions.purgeExpired();
    const session = await this.sessions.create(user.id, false, ip, userAgent);
    const mfa: MfaState = user.totp_enabled_at ? 'pending' : 'enrol';
    await this.audit.recordAs({ kind: 'session', id: user.id, name: user.email, ip }, user.tenant_id, 'auth.login', user.id, { secondFactor: mfa });
    return { user, token: session.token, csrfToken: session.csrfToken, mfa };
  }

  /**
   * The second factor: a current, unused code. With `enrol` the code confirms
   * a new secret. Either way the session gets a new token, returned.
   */
  async passTotp(user: AdminUserRow, sessionId: string, code: string, ip: string, enrol: boolean): Promise<string> {
    const key = `totp-fail.${user.id}`;
    const failures = await this.rate.exhausted(key, WINDOW_SECONDS, TOTP_FAILURES_PER_WINDOW);
    if (!failures.allowed) throw new HttpError(429, 'rate_limited', `too many wrong codes; try again in ${Math.ceil(failures.retryAfter / 60)} min`, { retryAfter: failures.retryAfter });
    const actor = { kind: 'session' as const, id: user.id, name: user.email, ip };
    if (!(await this.users.acceptTotp(user, code, enrol))) {
      await this.rate.hit(key, WINDOW_SECONDS, TOTP_FAILURES_PER_WINDOW);
      await this.audit.recordAs(actor, user.tenant_id, 'auth.totp_failed', user.id, { enrolment: enrol });
      throw new HttpError(401, 'invalid_code', 'the code is wrong, expired or already used');
    }
    await this.rate.clear(key, WINDOW_SECONDS);
    const token = await this.sessions.passMfa(sessionId);
    await this.audit.recordAs(actor, user.tenant_id, enrol ? 'auth.totp_enrolled' : 'auth.totp_passed', user.id);
    return token;
  }
}
