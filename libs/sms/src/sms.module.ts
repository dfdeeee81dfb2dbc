import { Global, Module } from '@nestjs/common';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '@app/config';
import { SMS_SENDER, SmsSender } from './sms-sender.port';
import { TwilioSmsSender } from './twilio-sms-sender';
import { OutboxSmsSender, outboxPath } from './outbox-sms-sender';
import { SmsComposerRegistry } from './sms-composers';
import { SmsStore } from './sms.store';
import { SmsQueue } from './sms-queue.service';
import { SendSmsHandler } from './send-sms.job';
import { SmsSweeper } from './sms-sweeper.service';

export function createSmsSender(cfg: AppConfig): SmsSender {
  if (cfg.SMS_DRIVER === 'twilio') {
    return new TwilioSmsSender({
      accountSid: cfg.TWILIO_ACCOUNT_SID as string,
      authToken: cfg.TWILIO_AUTH_TOKEN as string,
      from: cfg.TWILIO_FROM,
      messagingServiceSid: cfg.TWILIO_MESSAGING_SERVICE_SID,
      baseUrl: cfg.TWILIO_BASE_URL,
    });
  }
  return new OutboxSmsSender(outboxPath(cfg.DATA_DIR));
}

/** Texts: the queue of record, the sender port (Twilio or the outbox), the send job and its sweeper. Global so composers register into one registry. */
@Global()
@Module({
  providers: [
    { provide: SMS_SENDER, inject: [APP_CONFIG], useFactory: createSmsSender },
    SmsComposerRegistry,
    SmsStore,
    SmsQueue,
    SendSmsHandler,
    SmsSweeper,
  ],
  exports: [SMS_SENDER, SmsComposerRegistry, SmsStore, SmsQueue, SendSmsHandler, SmsSweeper],
})
export class SmsModule {}
