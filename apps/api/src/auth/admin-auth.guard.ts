import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { HttpError } from '@app/http';
import { HealthController } from '@app/observability';
import { AdminRole, hasRole, IS_PUBLIC, MIN_ROLE, Principal } from './principal';
import { AdminRequest, ALLOWED_MFA, clientIp, CSRF_HEADER, MfaState, SESSION_COOKIE, SKIP_MUTATION_THROTTLE } from './auth-metadata';
import { AdminSessionsService } from './admin-sessions.service';
import { ApiKeysService } from './api-keys.service';
import { isUuid } from '@app/admin-access';
import { RateCounter } from './rate-counter';

/** Controllers from shared libraries that every app serves without credentials (liveness, readiness, metrics). */
const PUBLIC_LIBRARY_CONTROLLERS: Function[] = [HealthController];

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session cookie, from cookie-parser when the app has it, else from the header itself. */
function sessionCookieOf(req: AdminRequest): string | undefined {
  const parsed = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
  if (parsed !== undefined) return parsed;
  for (const part of (req.header('cookie') ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) {
      try {
        return decodeURIComponent(rest.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The admin API's one gate (registered as APP_GUARD): every route needs a
 * principal — an admin session cookie or an API key — unless it is
 * @Public(). Then, in this order: the session's second factor, its CSRF token
 * on changes, the route's least role, the tenant in the path (another
 * tenant's, a malformed or an unknown one is 404 alike), and the change rate.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: AdminSessionsService,
    private readonly apiKeys: ApiKeysService,
    private readonly rate: RateCounter,
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'ADMIN_MUTATIONS_PER_MINUTE'>,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) || PUBLIC_LIBRARY_CONTROLLERS.includes(ctx.getClass())) return true;
    const req = ctx.switchToHttp().getRequest<AdminRequest>();
    const res = ctx.switchToHttp().getResponse<Response>();
    const ip = clientIp(req);
    const mutation = !SAFE_METHODS.has(req.method.toUpperCase());

    let principal: Principal | null = null;
    const authorization = req.header('authorization');
    if (authorization) {
      const m = /^Bearer\s+(\S+)$/i.exec(authorization);
      principal = m ? await this.apiKeys.authenticate(m[1]) : null;
      if (!principal) throw new HttpError(401, 'unauthenticated', 'the API key is not valid (unknown, malformed or revoked)');
    } else {
      const token = sessionCookieOf(req);
      const session = token ? await this.sessions.lookup(token) : null;
      if (!session) throw new HttpError(401, 'unauthenticated', token ? 'the session has ended; sign in again' : 'sign in first (or send an API key)');
      req.adminSession = session;
      const allowed = this.reflector.getAllAndOverride<MfaState[] | undefined>(ALLOWED_MFA, targets) ?? ['passed'];
      if (!allowed.includes(session.mfa)) {
        if (session.mfa === 'passed') throw new HttpError(409, 'mfa_already_passed', 'this session has already passed its second factor');
        throw new HttpError(403, 'mfa_required', session.mfa === 'pending' ? 'enter the code from your authenticator app first' : 'set up an authenticator app (TOTP) first');
      }
      if (mutation) {
        const presented = req.header(CSRF_HEADER) ?? '';
        if (!presented || !sameSecret(presented, session.csrfToken)) throw new HttpError(403, 'csrf_invalid', 'the X-CSRF-Token header is missing or wrong');
      }
      const u = session.user;
      principal = { kind: 'session', subjectId: u.id, role: u.role, tenantId: u.tenant_id, name: u.email };
    }
    principal.ip = ip;
    req.principal = principal;

    const min = this.reflector.getAllAndOverride<AdminRole | undefined>(MIN_ROLE, targets);
    if (min && !hasRole(principal, min)) throw new HttpError(403, 'forbidden', `this needs the ${min} role (you are ${principal.role === 'admin' ? 'an' : 'a'} ${principal.role})`);

    const tenantId = (req.params as Record<string, string | undefined>).tenantId;
    if (tenantId !== undefined) await this.checkTenant(principal, tenantId);

    if (mutation && !this.reflector.getAllAndOverride<boolean>(SKIP_MUTATION_THROTTLE, targets)) {
      const verdict = await this.rate.hit(`mutations.${principal.kind}.${principal.subjectId}`, 60, this.cfg.ADMIN_MUTATIONS_PER_MINUTE);
      if (!verdict.allowed) {
        res.setHeader('Retry-After', String(verdict.retryAfter));
        throw new HttpError(429, 'rate_limited', `too many changes; try again in ${verdict.retryAfter} s`);
      }
    }
    return true;
  }

  private async checkTenant(p: Principal, tenantId: string): Promise<void> {
    const notFound = new HttpError(404, 'tenant_not_found', 'no such tenant');
    if (!isUuid(tenantId)) throw notFound;
    if (p.role !== 'operator') {
      if (p.tenantId !== tenantId.toLowerCase()) throw notFound;
      return;
    }
    const rows: unknown[] = await this.ds.query(`SELECT 1 FROM tenants WHERE id = $1`, [tenantId]);
    if (rows.length === 0) throw notFound;
  }
}
