import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { SigninRateLimiter } from '../signin-rate-limiter';
import { SessionController } from './session.controller';
import { SetupTicketsService } from './setup-tickets.service';
import { WebmailAccessService } from './webmail-access.service';
import { WebmailAccountsService } from './webmail-accounts.service';
import { WebmailSessionGuard } from './webmail-session.guard';
import { WebmailSessionsService } from './webmail-sessions.service';

/**
 * Employee sign-in, passwords, sessions, CSRF and the global session guard.
 * Global, so every webmail module (and the sign-in controller) finds the
 * access, account and session services.
 */
@Global()
@Module({
  controllers: [SessionController],
  providers: [
    WebmailAccessService,
    WebmailAccountsService,
    WebmailSessionsService,
    SetupTicketsService,
    SigninRateLimiter,
    { provide: APP_GUARD, useClass: WebmailSessionGuard },
  ],
  exports: [WebmailAccessService, WebmailAccountsService, WebmailSessionsService, SetupTicketsService],
})
export class WebmailSessionModule {}
