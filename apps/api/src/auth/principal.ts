import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';

/**
 * Who is calling the admin API. Roles nest: an operator may do what an admin
 * may, an admin what a viewer may. An operator belongs to no tenant and sees
 * all of them; everyone else is bound to one tenant.
 */
export type AdminRole = 'operator' | 'admin' | 'viewer';

export const ROLE_RANK: Record<AdminRole, number> = { viewer: 1, admin: 2, operator: 3 };

export interface Principal {
  /** How the caller proved who they are. */
  kind: 'session' | 'api_key';
  /** admin_users.id for a session, api_keys.id for a key. */
  subjectId: string;
  role: AdminRole;
  /** null for a provider operator. */
  tenantId: string | null;
  /** For the audit log: an admin's e-mail address or an API key's name. */
  name: string;
  /** The client address of the request, for the audit log (set by the guard). */
  ip?: string;
}

export const IS_PUBLIC = 'mc:public';
export const MIN_ROLE = 'mc:min-role';

/** The route needs no principal (login, health, Twilio callbacks that check their own signature, SCIM which has its own bearer token). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The least role a route needs; without it any signed-in principal (a viewer) may call it. */
export const Roles = (min: AdminRole) => SetMetadata(MIN_ROLE, min);

export type PrincipalRequest = Request & { principal?: Principal };

/** The principal the guard attached to the request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const p = ctx.switchToHttp().getRequest<PrincipalRequest>().principal;
  if (!p) throw new Error('CurrentPrincipal used on a route without a principal (is it @Public()?)');
  return p;
});

/** Whether a principal may act at least as `min`. */
export function hasRole(p: Principal, min: AdminRole): boolean {
  return ROLE_RANK[p.role] >= ROLE_RANK[min];
}
