import { BadRequestException, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { APP_CONFIG, AppConfig } from '@app/config';
import { HttpError, ZodBody } from '@app/http';
import { LOGGER, Logger } from '@app/observability';
import { CurrentEmployee, Employee, Public } from './employee';
import { clearSessionCookie, readCookie } from './cookies';
import { passwordProblem, passwordProblemText } from './passwords';
import { WebmailAccessService } from './webmail-access.service';
import { WebmailAccountsService } from './webmail-accounts.service';
import { presentedCsrf, SessionRequest } from './webmail-session.guard';
import { SESSION_COOKIE, WebmailSessionsService, sameSecret } from './webmail-sessions.service';
import { SigninRateLimiter } from '../signin-rate-limiter';

/** A 400 that names its field (CONVENTIONS.md). */
export function badRequest(code: string, message: string, field: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, code, message, field });
}

const PasswordChange = z.object({ current: z.string().min(1).max(1024), next: z.string().min(1).max(1024) });

/** The employee's session: who is signed in, the tenant's look, shared mailboxes, sign-out and password change. */
@ApiTags('webmail session')
@Controller()
export class SessionController {
  constructor(
    private readonly ds: DataSource,
    private readonly sessions: WebmailSessionsService,
    private readonly accounts: WebmailAccountsService,
    private readonly access: WebmailAccessService,
    private readonly limiter: SigninRateLimiter,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'PUBLIC_WEBMAIL_URL'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get('api/session')
  async session(@CurrentEmployee() e: Employee, @Req() req: SessionRequest) {
    const tenant = await this.access.ofTenant(e.tenantId);
    const shared = await this.ds.query(
      `SELECT m.id, m.address, m.display_name, s.can_send_as
         FROM shared_mailbox_members s JOIN mailboxes m ON m.id = s.shared_mailbox_id AND m.tenant_id = s.tenant_id
        WHERE s.tenant_id = $1 AND s.member_mailbox_id = $2 AND m.status = 'active'
        ORDER BY m.address`,
      [e.tenantId, e.mailboxId],
    );
    return {
      employee: { address: e.address, displayName: e.displayName, mailboxId: e.mailboxId },
      tenant: {
        name: tenant?.name ?? '',
        language: tenant?.language ?? 'en',
        brandName: tenant?.brandName ?? null,
        logoDataUrl: tenant?.logoDataUrl ?? null,
        primaryColor: tenant?.primaryColor ?? null,
        mode: tenant?.mode ?? 'normal',
      },
      csrfToken: req.webmailSession!.csrfToken,
      sharedMailboxes: shared.map((r: { id: string; address: string; display_name: string; can_send_as: boolean }) => ({
        mailboxId: r.id,
        address: r.address,
        displayName: r.display_name || r.address,
        canSendAs: r.can_send_as,
      })),
    };
  }

  @Post('api/session/logout')
  @HttpCode(204)
  async logout(@CurrentEmployee() e: Employee, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.sessions.delete(e.tenantId, e.sessionId);
    clearSessionCookie(res, this.cfg.PUBLIC_WEBMAIL_URL);
    this.logger.info({ tenantId: e.tenantId, mailboxId: e.mailboxId }, 'webmail sign-out');
  }

  /** Changes the password; every other session of the mailbox ends, this one stays. */
  @Post('api/session/password')
  @HttpCode(204)
  async changePassword(@CurrentEmployee() e: Employee, @ZodBody(PasswordChange) body: z.infer<typeof PasswordChange>, @Req() req: Request): Promise<void> {
    if (!(await this.limiter.allowSigninIp(req.ip ?? 'unknown')) || !(await this.limiter.allowSigninAddress(e.address))) {
      throw new HttpError(429, 'rate_limited', 'too many attempts; try again later');
    }
    if (!(await this.accounts.verifyCurrent(e.tenantId, e.mailboxId, body.current))) {
      throw badRequest('wrong_password', 'the current password is not right', 'current');
    }
    const problem = passwordProblem(body.next, e.address);
    if (problem) {
      const tenant = await this.access.ofTenant(e.tenantId);
      throw badRequest('weak_password', passwordProblemText(problem, tenant?.language ?? 'en'), 'next');
    }
    await this.accounts.setPassword(e.tenantId, e.mailboxId, body.next);
    const ended = await this.sessions.deleteOthers(e.tenantId, e.mailboxId, e.sessionId);
    this.logger.info({ tenantId: e.tenantId, mailboxId: e.mailboxId, endedSessions: ended }, 'webmail password changed');
  }

  /**
   * Sign-out from a plain form (the `_csrf` field carries the session's
   * token). Without a live session there is nothing to end: back to sign-in.
   */
  @Public()
  @Post('signout')
  async signout(@Req() req: SessionRequest, @Res() res: Response): Promise<void> {
    const token = readCookie(req, SESSION_COOKIE);
    const session = token ? await this.sessions.lookup(token) : null;
    if (session) {
      const presented = presentedCsrf(req);
      if (!presented || !sameSecret(presented, session.csrfToken)) throw new HttpError(403, 'csrf_failed', 'the form has expired; load the page again and retry');
      await this.sessions.delete(session.tenantId, session.id);
    }
    clearSessionCookie(res, this.cfg.PUBLIC_WEBMAIL_URL);
    res.redirect(303, '/signin?signedout=1');
  }
}
