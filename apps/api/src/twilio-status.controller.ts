import { Body, Controller, ForbiddenException, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { validateRequest } from 'twilio';
import { APP_CONFIG, AppConfig } from '@app/config';
import { LOGGER, Logger } from '@app/observability';
import { SmsStore, stateFromTwilioStatus } from '@app/sms';
import { Public } from './auth/principal';

/**
 * Twilio's delivery receipts (the statusCallback of each text). Accepted only
 * with a valid X-Twilio-Signature over the public URL Twilio called and the
 * POST parameters, made with our auth token.
 */
@Controller('twilio')
@Public()
export class TwilioStatusController {
  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'PUBLIC_API_URL' | 'TWILIO_AUTH_TOKEN'>,
    private readonly store: SmsStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post('status')
  @HttpCode(204)
  async status(@Req() req: Request, @Body() body: Record<string, string>): Promise<void> {
    const signature = req.header('x-twilio-signature') ?? '';
    const url = `${this.cfg.PUBLIC_API_URL.replace(/\/+$/, '')}${req.originalUrl}`;
    const params = body && typeof body === 'object' ? body : {};
    if (!this.cfg.TWILIO_AUTH_TOKEN || !signature || !validateRequest(this.cfg.TWILIO_AUTH_TOKEN, signature, url, params)) {
      this.logger.warn({ url, hasSignature: !!signature }, 'Twilio status callback refused: bad signature');
      throw new ForbiddenException({ statusCode: 403, code: 'invalid_signature', message: 'the X-Twilio-Signature does not match' });
    }
    const sid = params.MessageSid ?? params.SmsSid;
    const state = stateFromTwilioStatus(params.MessageStatus ?? params.SmsStatus);
    if (!sid || !state) return;
    const updated = await this.store.applyProviderStatus(sid, state, params.ErrorCode ? `twilio ${params.ErrorCode}` : null);
    this.logger.info({ providerSid: sid, state, updated }, 'SMS status received');
  }
}
