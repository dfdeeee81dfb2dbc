import { Body, Controller, Get, HttpCode, HttpException, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { LOGGER, Logger } from '@app/observability';
import { CredentialError, CredentialsService } from '@app/credentials';
import { wantsJson } from './http-error.filter';
import { acceptedPage, linkConfirmPage, requestedPage, signinPage } from './signin-pages';
import { SigninRateLimiter } from './signin-rate-limiter';

/** The same answer for every address, known or not, sent or rate-limited. */
export const NEUTRAL_REQUEST_ANSWER = 'If this address has webmail access, a new code is on its way to the mobile number and alternate e-mail address on record.';

function noStore(res: Response): void {
  // Sign-in pages carry tokens: never cache them, never leak them in a Referer.
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Robots-Tag', 'noindex');
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * Sign-in with a one-time credential. GET requests never change state, so a
 * messaging app that previews the link from the text cannot use it up; only
 * the POST behind the page's button redeems it. What comes after (setting a
 * password, the webmail itself) is a later issue; the answer says so.
 */
@Controller('signin')
export class SigninController {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly limiter: SigninRateLimiter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get()
  form(@Res() res: Response): void {
    noStore(res);
    res.type('html').send(signinPage());
  }

  @Get('link')
  linkPage(@Query('t') token: unknown, @Res() res: Response): void {
    noStore(res);
    res.type('html').send(linkConfirmPage(str(token)));
  }

  @Post('link')
  @HttpCode(200)
  async redeemLink(@Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    noStore(res);
    const r = await this.credentials.redeemLink(str(body?.t));
    this.answerAccepted(req, res, r.address);
  }

  @Post('code')
  @HttpCode(200)
  async redeemCode(@Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    noStore(res);
    const address = str(body?.address);
    const code = str(body?.code);
    if (!address || !code) throw new CredentialError('invalid_request', 'address and code are required');
    if (!(await this.limiter.allowIp(req.ip ?? 'unknown'))) throw new HttpException({ statusCode: 429, code: 'rate_limited', message: 'too many attempts from this network; try again later' }, 429);
    const r = await this.credentials.redeem(address, code);
    this.answerAccepted(req, res, r.address);
  }

  @Post('request')
  @HttpCode(202)
  async request(@Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    noStore(res);
    const address = str(body?.address).trim().toLowerCase();
    if (!address || address.length > 320 || !address.includes('@')) throw new CredentialError('invalid_request', 'an e-mail address is required');
    if (!(await this.limiter.allowIp(req.ip ?? 'unknown'))) throw new HttpException({ statusCode: 429, code: 'rate_limited', message: 'too many requests from this network; try again later' }, 429);
    // Over the per-address limit nothing is sent, but the answer is the same: it must not tell whether the address exists.
    if (await this.limiter.allowAddress(address)) {
      await this.credentials.requestBySelf(address).catch((e) => this.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'credential request failed'));
    } else {
      this.logger.warn({ ip: req.ip }, 'credential request over the per-address limit; nothing sent');
    }
    if (wantsJson(req)) res.status(202).json({ status: 'accepted', message: NEUTRAL_REQUEST_ANSWER });
    else res.status(202).type('html').send(requestedPage(NEUTRAL_REQUEST_ANSWER));
  }

  private answerAccepted(req: Request, res: Response, address: string): void {
    if (wantsJson(req)) {
      res.status(200).json({ status: 'accepted', address, next: 'set-password', message: 'Credential accepted. Setting a password comes next; the webmail sign-in itself is not available yet in this version.' });
    } else {
      res.status(200).type('html').send(acceptedPage(address));
    }
  }
}
