import type { CookieOptions, Request, Response } from 'express';
import { HttpError } from '@app/http';
import { SESSION_COOKIE, newToken, sameSecret } from './webmail-sessions.service';
import { SETUP_COOKIE, SETUP_TTL_SECONDS } from './setup-tickets.service';

/** The sign-in forms' own CSRF token (double submit: this cookie and a hidden field must agree). */
export const PRE_SESSION_COOKIE = 'mc_webmail_pre';

/** Secure cookies unless the webmail is served over plain http (development, tests). */
export function secureCookies(publicWebmailUrl: string): boolean {
  return !publicWebmailUrl.toLowerCase().startsWith('http:');
}

function base(publicWebmailUrl: string): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: secureCookies(publicWebmailUrl) };
}

/** A cookie from cookie-parser's `req.cookies`, or straight from the header where no parser ran. */
export function readCookie(req: Request, name: string): string | undefined {
  const parsed = (req as Request & { cookies?: Record<string, unknown> }).cookies;
  if (parsed && typeof parsed[name] === 'string') return parsed[name] as string;
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function setSessionCookie(res: Response, token: string, maxAgeMs: number, publicWebmailUrl: string): void {
  res.cookie(SESSION_COOKIE, token, { ...base(publicWebmailUrl), path: '/', maxAge: maxAgeMs });
}

export function clearSessionCookie(res: Response, publicWebmailUrl: string): void {
  res.clearCookie(SESSION_COOKIE, { ...base(publicWebmailUrl), path: '/' });
}

export function setSetupCookie(res: Response, token: string, publicWebmailUrl: string): void {
  res.cookie(SETUP_COOKIE, token, { ...base(publicWebmailUrl), path: '/signin', maxAge: SETUP_TTL_SECONDS * 1000 });
}

export function clearSetupCookie(res: Response, publicWebmailUrl: string): void {
  res.clearCookie(SETUP_COOKIE, { ...base(publicWebmailUrl), path: '/signin' });
}

/** The pre-session CSRF token for a sign-in page, set as a cookie when the browser has none yet. */
export function preSessionToken(req: Request, res: Response, publicWebmailUrl: string): string {
  const have = readCookie(req, PRE_SESSION_COOKIE);
  if (have && /^[A-Za-z0-9_-]{20,100}$/.test(have)) return have;
  const token = newToken(24);
  res.cookie(PRE_SESSION_COOKIE, token, { ...base(publicWebmailUrl), path: '/signin' });
  return token;
}

/**
 * A sign-in form post must carry the pre-session token in `_csrf`. A JSON
 * post needs none: a browser sends `application/json` to another site only
 * after a CORS preflight, which this app never grants.
 */
export function checkSigninCsrf(req: Request): void {
  if (req.is('application/json')) return;
  const cookie = readCookie(req, PRE_SESSION_COOKIE);
  const field = (req.body as Record<string, unknown> | undefined)?._csrf;
  if (!cookie || typeof field !== 'string' || !sameSecret(cookie, field)) {
    throw new HttpError(403, 'csrf_failed', 'the form has expired; load the page again and retry');
  }
}
