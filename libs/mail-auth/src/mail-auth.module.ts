import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { MAIL_AUTH_RESOLVER, systemMailAuthResolver } from './auth-dns.port';
import { MailAuthenticator } from './mail-authenticator.service';

/** Inbound SPF/DKIM/DMARC/ARC; needs the global DataSource, APP_CONFIG and LOGGER. DNS sits behind MAIL_AUTH_RESOLVER. */
@Module({
  providers: [
    MailAuthenticator,
    { provide: MAIL_AUTH_RESOLVER, inject: [APP_CONFIG], useFactory: (cfg: AppConfig) => systemMailAuthResolver(Math.min(5000, cfg.AUTH_VERIFY_TIMEOUT_MS)) },
  ],
  exports: [MailAuthenticator, MAIL_AUTH_RESOLVER],
})
export class MailAuthModule {}
