import { Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { HttpError, ZodBody } from '@app/http';
import { CurrentPrincipal, Principal, Public } from './principal';
import { AdminRequest, AdminSessionContext, AllowMfa, clientIp, MfaState, SkipMutationThrottle } from './auth-metadata';
import { AdminLocalGuard, withRetryAfter } from './local.strategy';
import { AdminSignInService, SignedIn } from './admin-sign-in.service';
import { AdminSessionsService } from './admin-sessions.service';
import { AdminUsersService } from '@app/admin-access';
import { AdminAuditService } from './admin-audit.service';
import { MAX_PASSWORD_LENGTH, verifyPassword } from '@app/admin-access';

export interface SessionView {
  user: { id: string; email: string | null; name: string; role: string; tenantId: string | null };
  mfa: MfaState;
  /** Send it as X-CSRF-Token on every change; null for API keys, which need none. */
  csrfToken: string | null;
}

const LoginBody = z.object({ email: z.string().max(320), password: z.string().max(MAX_PASSWORD_LENGTH) });
const CodeBody = z.object({ code: z.string().regex(/^\s*\d{6}\s*$/, 'expected the 6-digit code') });
const PasswordBody = z.object({ currentPassword: z.string().max(MAX_PASSWORD_LENGTH), newPassword: z.string().max(MAX_PASSWORD_LENGTH) });

function sessionView(s: Pick<AdminSessionContext, 'user' | 'mfa' | 'csrfToken'>): SessionView {
  const u = s.user;
  return { user: { id: u.id, email: u.email, name: u.name, role: u.role, tenantId: u.tenant_id }, mfa: s.mfa, csrfToken: s.csrfToken };
}

function sessionOf(req: AdminRequest): AdminSessionContext {
  if (!req.adminSession) throw new HttpError(400, 'session_required', 'this needs a signed-in admin session, not an API key');
  return req.adminSession;
}

/**
 * Sign-in for the admin console: password (passport-local), then the TOTP
 * second factor. Every admin, operator and viewer has to enrol an
 * authenticator app before the API answers them: viewers read employees'
 * mobile numbers and the audit trail, which is worth a second factor too.
 */
@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly signIn: AdminSignInService,
    private readonly sessions: AdminSessionsService,
    private readonly users: AdminUsersService,
    private readonly audit: AdminAuditService,
  ) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @UseGuards(AdminLocalGuard)
  @ApiOperation({ summary: 'Sign in with e-mail and password; sets the session cookie. The session then needs its TOTP step (mfa pending or enrol).' })
  login(@ZodBody(LoginBody) _body: z.infer<typeof LoginBody>, @Req() req: AdminRequest & { user: SignedIn }, @Res({ passthrough: true }) res: Response): SessionView {
    const s = req.user;
    this.sessions.setCookie(res, s.token);
    return sessionView({ user: s.user, mfa: s.mfa, csrfToken: s.csrfToken });
  }

  @Get('session')
  @AllowMfa('passed', 'pending', 'enrol')
  @ApiOperation({ summary: 'Who is signed in, where the second factor stands, and the CSRF token' })
  session(@Req() req: AdminRequest, @CurrentPrincipal() p: Principal): SessionView {
    if (req.adminSession) return sessionView(req.adminSession);
    return { user: { id: p.subjectId, email: null, name: p.name, role: p.role, tenantId: p.tenantId }, mfa: 'passed', csrfToken: null };
  }

  @Post('totp')
  @HttpCode(200)
  @AllowMfa('pending')
  @SkipMutationThrottle()
  @ApiOperation({ summary: 'The second factor: the current code of the enrolled authenticator app' })
  async totp(@ZodBody(CodeBody) body: z.infer<typeof CodeBody>, @Req() req: AdminRequest, @Res({ passthrough: true }) res: Response): Promise<SessionView> {
    const s = sessionOf(req);
    const token = await withRetryAfter(res, () => this.signIn.passTotp(s.user, s.id, body.code.trim(), clientIp(req), false));
    this.sessions.setCookie(res, token);
    return sessionView({ ...s, mfa: 'passed' });
  }

  @Post('totp/enroll')
  @HttpCode(200)
  @AllowMfa('enrol')
  @ApiOperation({ summary: 'Start enrolling an authenticator app: a new secret and its otpauth:// URL (shown once)' })
  async enroll(@Req() req: AdminRequest): Promise<{ secret: string; otpauthUrl: string }> {
    return this.users.beginTotpEnrolment(sessionOf(req).user);
  }

  @Post('totp/confirm')
  @HttpCode(200)
  @AllowMfa('enrol')
  @SkipMutationThrottle()
  @ApiOperation({ summary: 'Finish enrolment with a code from the app; the session then counts as second-factor passed' })
  async confirm(@ZodBody(CodeBody) body: z.infer<typeof CodeBody>, @Req() req: AdminRequest, @Res({ passthrough: true }) res: Response): Promise<SessionView> {
    const s = sessionOf(req);
    const user = (await this.users.byId(s.user.id)) ?? s.user;
    if (!user.totp_secret_enc) throw new HttpError(409, 'totp_not_started', 'start with POST /api/auth/totp/enroll');
    const token = await withRetryAfter(res, () => this.signIn.passTotp(user, s.id, body.code.trim(), clientIp(req), true));
    this.sessions.setCookie(res, token);
    return sessionView({ ...s, mfa: 'passed' });
  }

  @Post('logout')
  @HttpCode(204)
  @AllowMfa('passed', 'pending', 'enrol')
  @ApiOperation({ summary: 'End this session and clear its cookie' })
  async logout(@Req() req: AdminRequest, @CurrentPrincipal() p: Principal, @Res({ passthrough: true }) res: Response): Promise<void> {
    if (!req.adminSession) return;
    await this.sessions.destroy(req.adminSession.id);
    this.sessions.clearCookie(res);
    await this.audit.record(p, p.tenantId, 'auth.logout', p.subjectId);
  }

  @Post('password')
  @HttpCode(204)
  @ApiOperation({ summary: "Change one's own password; other sessions of the account end" })
  async password(@ZodBody(PasswordBody) body: z.infer<typeof PasswordBody>, @Req() req: AdminRequest, @CurrentPrincipal() p: Principal): Promise<void> {
    const s = sessionOf(req);
    // Wrong current passwords count towards the account's lockout as at sign-in, so a taken-over
    // session cannot be used to guess the password at the change rate.
    const user = (await this.users.byId(s.user.id)) ?? s.user;
    if (user.locked_until && user.locked_until > new Date()) {
      const retryAfter = Math.ceil((user.locked_until.getTime() - Date.now()) / 1000);
      await this.audit.record(p, p.tenantId, 'auth.password_change_blocked', user.id, { reason: 'locked', lockedUntil: user.locked_until.toISOString() });
      throw new HttpError(429, 'rate_limited', `too many wrong passwords; try again in ${Math.ceil(retryAfter / 60)} min`, { retryAfter });
    }
    if (!(await verifyPassword(user.password_hash, body.currentPassword))) {
      const lockedUntil = await this.users.recordFailure(user.id);
      await this.audit.record(p, p.tenantId, 'auth.password_change_refused', user.id, { reason: 'wrong_password', ...(lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {}) });
      throw new HttpError(403, 'wrong_password', 'the current password is wrong');
    }
    await this.users.update(s.user.id, { password: body.newPassword });
    await this.sessions.destroyAllOf(s.user.id, s.id);
    await this.audit.record(p, p.tenantId, 'auth.password_changed', s.user.id);
  }
}
