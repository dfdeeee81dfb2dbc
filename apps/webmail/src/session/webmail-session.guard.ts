import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { HttpError } from '@app/http';
import { HealthController } from '@app/observability';
import { EmployeeRequest, IS_PUBLIC } from './employee';
import { readCookie } from './cookies';
import { WebmailAccessService, mailboxOpen, tenantOpen } from './webmail-access.service';
import { CSRF_HEADER, SESSION_COOKIE, WebmailSessionContext, WebmailSessionsService, sameSecret } from './webmail-sessions.service';

/** Controllers from shared libraries that every app serves without credentials (liveness, readiness, metrics). */
const PUBLIC_LIBRARY_CONTROLLERS: Function[] = [HealthController];

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export type SessionRequest = EmployeeRequest & { webmailSession?: WebmailSessionContext };

/** The CSRF token a request presents: the X-CSRF-Token header, or a form post's `_csrf` field. */
export function presentedCsrf(req: SessionRequest): string | undefined {
  const header = req.header(CSRF_HEADER);
  if (header) return header;
  const field = req.is('application/x-www-form-urlencoded') ? (req.body as Record<string, unknown> | undefined)?._csrf : undefined;
  return typeof field === 'string' ? field : undefined;
}

/**
 * The webmail's one gate (APP_GUARD): every route needs an employee session
 * unless it is @Public(). The session must be live, its mailbox active and of
 * the session's tenant, and the tenant's webmail open for that mailbox (mode
 * looked up on each request, cached briefly); a session of a tenant that
 * returned to normal is ended. Changes need the session's CSRF token.
 * Attaches `req.employee` for @CurrentEmployee().
 */
@Injectable()
export class WebmailSessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: WebmailSessionsService,
    private readonly access: WebmailAccessService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) || PUBLIC_LIBRARY_CONTROLLERS.includes(ctx.getClass())) return true;
    const req = ctx.switchToHttp().getRequest<SessionRequest>();

    const token = readCookie(req, SESSION_COOKIE);
    const session = token ? await this.sessions.lookup(token) : null;
    if (!session) throw new HttpError(401, 'unauthenticated', 'sign in first');
    const tenant = await this.access.ofTenant(session.tenantId);
    if (!tenant || !mailboxOpen(tenant, session.mailboxId)) {
      // Closed for the whole tenant: every session of it ends; closed for this mailbox (not in the drill): its sessions end.
      if (!tenant || !tenantOpen(tenant)) await this.sessions.deleteAllOfTenant(session.tenantId);
      else await this.sessions.deleteOthers(session.tenantId, session.mailboxId, null);
      throw new HttpError(401, 'unauthenticated', 'the webmail is only open during an outage; this session has ended');
    }
    if (!SAFE_METHODS.has(req.method.toUpperCase())) {
      const presented = presentedCsrf(req);
      if (!presented || !sameSecret(presented, session.csrfToken)) throw new HttpError(403, 'csrf_failed', 'the X-CSRF-Token header is missing or does not match the session');
    }
    req.webmailSession = session;
    req.employee = { sessionId: session.id, tenantId: session.tenantId, mailboxId: session.mailboxId, address: session.address, displayName: session.displayName };
    return true;
  }
}
