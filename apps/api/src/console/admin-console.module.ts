import { Module } from '@nestjs/common';

/** The admin console single-page app. */
@Module({})
export class AdminConsoleModule {}
