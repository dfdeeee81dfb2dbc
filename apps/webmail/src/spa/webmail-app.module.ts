import { Module } from '@nestjs/common';

/** The webmail single-page app. */
@Module({})
export class WebmailAppModule {}
