import { Module } from '@nestjs/common';
import { WebmailAppController } from './webmail-app.controller';

/** The webmail single-page app (built by infra/scripts/build-web-apps.mjs into dist/apps/webmail/web-app). */
@Module({ controllers: [WebmailAppController] })
export class WebmailAppModule {}
