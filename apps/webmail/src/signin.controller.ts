import { Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '@app/config';
import { errorBodyOf, HttpError } from '@app/http';
import { LOGGER, Logger } from '@app/observability';
import { CODE_REFUSED_MESSAGE, CredentialError, CredentialsService, CredentialsStore, linkTokenHmac } from '@app/credentials';
import { wantsJson } from './http-error.filter';
import { Branding, closedPage, errorPage, linkConfirmPage, requestedPage, setPasswordPage, signinPage } from './signin-pages';
import { SigninRateLimiter } from './signin-rate-limiter';
import { Public } from './session/employee';
import { badRequest } from './session/session.controller';
import { browserLanguage, errorText, Language, t } from './session/i18n';
import { passwordProblem, passwordProblemText } from './session/passwords';
import {
  checkSigninCsrf, clearSetupCookie, preSessionToken, readCookie, setSessionCookie, setSetupCookie,
} from './session/cookies';
import { mailboxOpen, TenantAccess, tenantOpen, WebmailAccessService } from './session/webmail-access.service';
import { SigninMethod, WebmailAccountsService } from './session/webmail-accounts.service';
import { SETUP_COOKIE, SetupTicketsService } from './session/setup-tickets.service';
import { SESSION_COOKIE, WebmailSessionsService } from './session/webmail-sessions.service';

/** The same answer for every address, known or not, sent or rate-limited. */
export const NEUTRAL_REQUEST_ANSWER = 'If this address has webmail access, a new code is on its way to the mobile number and alternate e-mail address on record.';
const NEUTRAL_REQUEST_ANSWER_DE = 'Falls diese Adresse Zugang zum Webmail hat, ist ein neuer Code an die hinterlegte Mobilnummer und Ersatz-E-Mail-Adresse unterwegs.';

/** Headers of every sign-in page: they carry tokens, so never cached, never leaked in a Referer, no scripts at all. */
function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Robots-Tag', 'noindex');
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

const closed = () => new HttpError(403, 'webmail_closed', 'the webmail is only open during an outage');

/**
 * Sign-in: with the one-time credential from the text (code form, or the link
 * page that needs a click — GET never changes state, so a messaging app's
 * preview cannot use it up), which leads to choosing a password; later with
 * address and password. Every page works without JavaScript, in the tenant's
 * language where the tenant is known. The webmail is open only while the
 * tenant is in continuity mode, in a drill (for the drill's mailboxes) or
 * lets employees practise; otherwise the answer says so, the same for every
 * address.
 */
@ApiExcludeController()
@Public()
@Controller('signin')
export class SigninController {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly credentialsStore: CredentialsStore,
    private readonly limiter: SigninRateLimiter,
    private readonly access: WebmailAccessService,
    private readonly accounts: WebmailAccountsService,
    private readonly sessions: WebmailSessionsService,
    private readonly tickets: SetupTicketsService,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'PUBLIC_WEBMAIL_URL' | 'CREDENTIAL_HMAC_SECRET'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  // ------------------------------------------------------------------ pages

  @Get()
  async form(@Req() req: Request, @Res() res: Response, @Query('signedout') signedOut: unknown): Promise<void> {
    noStore(res);
    // Already signed in (and the webmail still open for this mailbox): straight to the webmail.
    const token = readCookie(req, SESSION_COOKIE);
    const session = token ? await this.sessions.lookup(token) : null;
    const access = session ? await this.access.ofTenant(session.tenantId) : null;
    if (session && access && mailboxOpen(access, session.mailboxId)) {
      res.redirect(303, '/');
      return;
    }
    const lang = browserLanguage(req);
    const csrf = preSessionToken(req, res, this.cfg.PUBLIC_WEBMAIL_URL);
    res.type('html').send(signinPage(lang, { csrf, notice: signedOut ? t(lang, 'signedOut') : null }));
  }

  @Get('link')
  async linkPage(@Query('t') token: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    noStore(res);
    const tenant = await this.tenantOfLink(str(token));
    const lang = tenant?.access?.language ?? browserLanguage(req);
    if (tenant?.access && !mailboxOpen(tenant.access, tenant.mailboxId)) {
      res.status(403).type('html').send(closedPage(lang, tenant.access));
      return;
    }
    res.type('html').send(linkConfirmPage(str(token), lang, preSessionToken(req, res, this.cfg.PUBLIC_WEBMAIL_URL)));
  }

  @Get('set-password')
  async setPasswordForm(@Req() req: Request, @Res() res: Response): Promise<void> {
    noStore(res);
    const ticket = await this.tickets.get(readCookie(req, SETUP_COOKIE));
    if (!ticket) {
      if (wantsJson(req)) throw new HttpError(410, 'setup_expired', 'no credential waiting for a password; sign in again');
      res.redirect(303, '/signin');
      return;
    }
    const tenant = await this.access.ofTenant(ticket.tenantId);
    const lang = tenant?.language ?? browserLanguage(req);
    res.type('html').send(setPasswordPage(lang, { address: ticket.address, csrf: preSessionToken(req, res, this.cfg.PUBLIC_WEBMAIL_URL), brand: tenant ?? {} }));
  }

  // ------------------------------------------------------------------ one-time credentials

  @Post('link')
  @HttpCode(200)
  async redeemLink(@Req() req: Request, @Res() res: Response): Promise<void> {
    noStore(res);
    const token = str(req.body?.t);
    const tenant = await this.tenantOfLink(token).catch(() => null);
    const lang = tenant?.access?.language ?? browserLanguage(req);
    await this.answer(req, res, lang, async () => {
      checkSigninCsrf(req);
      await this.throttle(req, null);
      // Refused before the link is used: it still works once the webmail opens.
      if (tenant?.access && !mailboxOpen(tenant.access, tenant.mailboxId)) throw closed();
      const r = await this.credentials.redeemLink(token);
      await this.afterCredential(req, res, lang, r.tenantId, r.mailboxId, r.address, 'link');
    }, '', tenant?.access);
  }

  @Post('code')
  @HttpCode(200)
  async redeemCode(@Req() req: Request, @Res() res: Response): Promise<void> {
    noStore(res);
    const address = str(req.body?.address).trim();
    const code = str(req.body?.code);
    const tenant = await this.tenantOfAddress(address);
    const lang = tenant?.language ?? browserLanguage(req);
    await this.answer(req, res, lang, async () => {
      checkSigninCsrf(req);
      if (!address || !code) throw new CredentialError('invalid_request', 'address and code are required');
      await this.throttle(req, address);
      // The whole tenant closed: the same answer for every address of its domains, and the code stays unused.
      if (tenant && !tenantOpen(tenant)) throw closed();
      const r = await this.credentials.redeem(address, code);
      await this.afterCredential(req, res, lang, r.tenantId, r.mailboxId, r.address, 'code');
    }, address, tenant);
  }

  /** A redeemed credential: the webmail must be open for this mailbox; then on to choosing a password. */
  private async afterCredential(req: Request, res: Response, lang: Language, tenantId: string, mailboxId: string, address: string, method: 'code' | 'link'): Promise<void> {
    const access = await this.access.ofTenant(tenantId);
    if (!access || !mailboxOpen(access, mailboxId)) throw closed();
    if (!(await this.accounts.mailbox(tenantId, mailboxId))) throw new CredentialError('credential_invalid', CODE_REFUSED_MESSAGE);
    const ticket = await this.tickets.create({ tenantId, mailboxId, address, method });
    setSetupCookie(res, ticket, this.cfg.PUBLIC_WEBMAIL_URL);
    this.logger.info({ tenantId, mailboxId, via: method }, 'webmail credential accepted; password next');
    if (wantsJson(req)) res.status(200).json({ status: 'accepted', address, next: 'set-password' });
    else res.redirect(303, '/signin/set-password');
  }

  @Post('set-password')
  @HttpCode(200)
  async setPassword(@Req() req: Request, @Res() res: Response): Promise<void> {
    noStore(res);
    const token = readCookie(req, SETUP_COOKIE) ?? '';
    const ticket = await this.tickets.get(token);
    const tenant = ticket ? await this.access.ofTenant(ticket.tenantId) : null;
    const lang = tenant?.language ?? browserLanguage(req);
    const password = str(req.body?.password);
    const json = wantsJson(req);
    const reshow = (status: number, error: string) => {
      res.status(status).type('html').send(setPasswordPage(lang, { address: ticket!.address, csrf: preSessionToken(req, res, this.cfg.PUBLIC_WEBMAIL_URL), error, brand: tenant ?? {} }));
    };
    await this.answer(req, res, lang, async () => {
      checkSigninCsrf(req);
      if (!ticket) throw new HttpError(410, 'setup_expired', 'no credential waiting for a password; sign in again');
      const problem = passwordProblem(password, ticket.address);
      if (problem) {
        if (!json) return reshow(400, passwordProblemText(problem, lang));
        throw badRequest('weak_password', passwordProblemText(problem, lang), 'password');
      }
      if (!json && str(req.body?.confirm) !== password) return reshow(400, t(lang, 'mismatch'));
      if (req.body?.confirm !== undefined && str(req.body?.confirm) !== password) throw badRequest('password_mismatch', t(lang, 'mismatch'), 'confirm');
      if (!tenant || !mailboxOpen(tenant, ticket.mailboxId)) throw closed();
      if (!(await this.accounts.mailbox(ticket.tenantId, ticket.mailboxId))) throw new HttpError(410, 'setup_expired', 'no credential waiting for a password; sign in again');
      if (!(await this.tickets.consume(token))) throw new HttpError(410, 'setup_expired', 'no credential waiting for a password; sign in again');
      await this.accounts.setPassword(ticket.tenantId, ticket.mailboxId, password);
      // A new password ends every earlier session of the mailbox.
      await this.sessions.deleteOthers(ticket.tenantId, ticket.mailboxId, null);
      clearSetupCookie(res, this.cfg.PUBLIC_WEBMAIL_URL);
      await this.signIn(req, res, ticket.tenantId, ticket.mailboxId, ticket.method);
    }, ticket?.address ?? '', tenant);
  }

  // ------------------------------------------------------------------ password

  @Post('password')
  @HttpCode(200)
  async signInWithPassword(@Req() req: Request, @Res() res: Response): Promise<void> {
    noStore(res);
    const address = str(req.body?.address).trim();
    const password = str(req.body?.password);
    const tenant = await this.tenantOfAddress(address);
    const lang = tenant?.language ?? browserLanguage(req);
    await this.answer(req, res, lang, async () => {
      checkSigninCsrf(req);
      if (!address || !password) throw badRequest('invalid_request', 'address and password are required', !address ? 'address' : 'password');
      await this.throttle(req, address);
      if (tenant && !tenantOpen(tenant)) throw closed();
      const r = await this.accounts.checkPassword(address, password);
      if (!r.ok) {
        if (r.lockedForSeconds) {
          throw new HttpError(429, 'account_locked', `too many wrong passwords; try again in ${Math.ceil(r.lockedForSeconds / 60)} minute(s) or sign in with a new code`, {
            retryAfterSeconds: r.lockedForSeconds,
          });
        }
        throw new HttpError(401, 'signin_failed', 'the address or the password is not right');
      }
      const access = await this.access.ofTenant(r.account.tenantId);
      if (!access || !mailboxOpen(access, r.account.mailboxId)) throw closed();
      await this.signIn(req, res, r.account.tenantId, r.account.mailboxId, 'password');
    }, address, tenant);
  }

  private async signIn(req: Request, res: Response, tenantId: string, mailboxId: string, method: SigninMethod): Promise<void> {
    const ip = req.ip ?? null;
    const s = await this.sessions.create(tenantId, mailboxId, ip, req.header('user-agent') ?? null);
    await this.accounts.recordSignin(tenantId, mailboxId, method, ip);
    setSessionCookie(res, s.token, this.sessions.maxAgeMs, this.cfg.PUBLIC_WEBMAIL_URL);
    this.logger.info({ tenantId, mailboxId, method }, 'webmail sign-in');
    if (wantsJson(req)) res.status(200).json({ status: 'signed-in', csrfToken: s.csrfToken });
    else res.redirect(303, '/');
  }

  // ------------------------------------------------------------------ new code

  @Post('request')
  @HttpCode(202)
  async request(@Req() req: Request, @Res() res: Response): Promise<void> {
    noStore(res);
    const address = str(req.body?.address).trim().toLowerCase();
    const tenant = await this.tenantOfAddress(address);
    const lang = tenant?.language ?? browserLanguage(req);
    let send = false;
    await this.answer(req, res, lang, async () => {
      checkSigninCsrf(req);
      if (!address || address.length > 320 || !address.includes('@')) throw new CredentialError('invalid_request', 'an e-mail address is required');
      if (!(await this.limiter.allowIp(req.ip ?? 'unknown'))) throw new HttpError(429, 'rate_limited', 'too many requests from this network; try again later');
      // Over the per-address limit, or while the webmail is closed for the address, nothing is sent;
      // the answer is the same: it must not tell whether the address exists.
      if (!(await this.limiter.allowAddress(address))) {
        this.logger.warn({ ip: req.ip }, 'credential request over the per-address limit; nothing sent');
      } else if (tenant && !(await this.openForAddress(tenant, address))) {
        this.logger.info({ tenantId: tenant.tenantId }, 'credential request while the webmail is closed; nothing sent');
      } else {
        send = true;
      }
      const message = lang === 'de' ? NEUTRAL_REQUEST_ANSWER_DE : NEUTRAL_REQUEST_ANSWER;
      if (wantsJson(req)) res.status(202).json({ status: 'accepted', message });
      else res.status(202).type('html').send(requestedPage(message, lang));
    });
    // Only after the answer has gone: issuing, queueing the text and storing the e-mail take time
    // for a known address only, and how long the answer took must not tell whether it exists.
    if (send) await this.credentials.requestBySelf(address).catch((e) => this.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'credential request failed'));
  }

  // ------------------------------------------------------------------ helpers

  private async openForAddress(tenant: TenantAccess, address: string): Promise<boolean> {
    if (!tenantOpen(tenant)) return false;
    if (tenant.mode !== 'drill' || tenant.practiceSignin) return true;
    const mailboxId = await this.accounts.mailboxIdByAddress(tenant.tenantId, address);
    return !!mailboxId && tenant.drillMailboxIds.has(mailboxId);
  }

  private async tenantOfAddress(address: string): Promise<TenantAccess | null> {
    if (!address || address.length > 320) return null;
    const tenantId = await this.access.tenantIdOfAddress(address);
    return tenantId ? this.access.ofTenant(tenantId) : null;
  }

  /** Whose a link is, without using it (null when the token is unknown). */
  private async tenantOfLink(token: string): Promise<{ access: TenantAccess | null; mailboxId: string } | null> {
    if (!token || token.length > 200 || !this.cfg.CREDENTIAL_HMAC_SECRET) return null;
    const c = await this.credentialsStore.byLinkTokenHmac(linkTokenHmac(this.cfg.CREDENTIAL_HMAC_SECRET, token));
    return c ? { access: await this.access.ofTenant(c.tenantId), mailboxId: c.mailboxId } : null;
  }

  private async throttle(req: Request, address: string | null): Promise<void> {
    const ipOk = await this.limiter.allowSigninIp(req.ip ?? 'unknown');
    const addrOk = address ? await this.limiter.allowSigninAddress(address) : true;
    if (!ipOk || !addrOk) throw new HttpError(429, 'rate_limited', 'too many sign-in attempts; try again later');
  }

  /**
   * Runs a sign-in step. JSON callers get errors from the app's filter
   * ({statusCode, code, message}); browsers get the sign-in page again with
   * the reason in their language (or the "webmail closed" page).
   */
  private async answer(req: Request, res: Response, lang: Language, step: () => Promise<void>, address = '', brand: Branding | null = null): Promise<void> {
    try {
      await step();
    } catch (e) {
      if (wantsJson(req)) throw e;
      const body =
        e instanceof CredentialError ? { statusCode: e.status, code: e.code, message: e.message, details: e.details } : errorBodyOf(e);
      if (!body) throw e;
      if (body.code === 'webmail_closed') {
        res.status(403).type('html').send(closedPage(lang, brand ?? {}));
        return;
      }
      const text = errorText(lang, body.code, body.details) ?? body.message;
      if (body.code === 'setup_expired') {
        res.status(body.statusCode).type('html').send(errorPage(body.statusCode, body.code, text, lang));
        return;
      }
      res
        .status(body.statusCode)
        .type('html')
        .send(signinPage(lang, { csrf: preSessionToken(req, res, this.cfg.PUBLIC_WEBMAIL_URL), error: text, address }));
    }
  }
}
