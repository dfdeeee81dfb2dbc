import { Module } from '@nestjs/common';

/** Folders, message lists, threads, search, message bodies and attachments. */
@Module({})
export class WebmailReadingModule {}
