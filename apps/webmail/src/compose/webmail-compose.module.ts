import { Module } from '@nestjs/common';

/** Compose, reply, forward, drafts, attachments and sending. */
@Module({})
export class WebmailComposeModule {}
