import { SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import type { AdminUserRow } from '@app/admin-access';
import type { Principal } from './principal';

export type { AdminUserRow };

/** Where a session stands with its second factor. */
export type MfaState = 'passed' | 'pending' | 'enrol';

export const ALLOWED_MFA = 'mc:allowed-mfa';

/**
 * Routes a session may call before its second factor is done (by default only
 * `passed` sessions get through): the TOTP step itself, enrolment, the
 * session view and sign-out.
 */
export const AllowMfa = (...states: MfaState[]) => SetMetadata(ALLOWED_MFA, states);

export const SKIP_MUTATION_THROTTLE = 'mc:skip-mutation-throttle';
/** Routes with their own, stricter limits (sign-in, TOTP) skip the per-principal change limit. */
export const SkipMutationThrottle = () => SetMetadata(SKIP_MUTATION_THROTTLE, true);

/** The session behind a cookie, as the guard found it. */
export interface AdminSessionContext {
  id: string;
  csrfToken: string;
  mfa: MfaState;
  user: AdminUserRow;
}

export type AdminRequest = Request & { principal?: Principal; adminSession?: AdminSessionContext };

export const SESSION_COOKIE = 'mc_admin';
export const CSRF_HEADER = 'x-csrf-token';

export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
