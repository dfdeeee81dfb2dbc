import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminAuditService } from './admin-audit.service';
import { AdminSessionsService } from './admin-sessions.service';
import { AdminSignInService } from './admin-sign-in.service';
import { AdminUsersService } from '@app/admin-access';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { AuthController } from './auth.controller';
import { AdminLocalGuard } from './local.strategy';
import { RateCounter } from './rate-counter';
import { TenantAdminsController } from './tenant-admins.controller';

/**
 * Admin sign-in (password + TOTP), sessions, API keys, the global guard and
 * throttling, and the admin audit log (AdminAuditService, available to every
 * module of the api).
 */
@Global()
@Module({
  controllers: [AuthController, ApiKeysController, TenantAdminsController],
  providers: [
    AdminAuditService,
    AdminSessionsService,
    AdminSignInService,
    AdminUsersService,
    ApiKeysService,
    RateCounter,
    AdminLocalGuard,
    { provide: APP_GUARD, useClass: AdminAuthGuard },
  ],
  exports: [AdminAuditService, AdminUsersService, AdminSessionsService],
})
export class AdminAuthModule {}
