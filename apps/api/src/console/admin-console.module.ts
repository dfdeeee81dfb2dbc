import { Module } from '@nestjs/common';
import { AdminConsoleController } from './admin-console.controller';

/** The admin console single-page app (built from apps/api/web-app), served at /console. */
@Module({ controllers: [AdminConsoleController] })
export class AdminConsoleModule {}
