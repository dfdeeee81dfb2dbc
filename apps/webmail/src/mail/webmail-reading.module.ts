import { Module } from '@nestjs/common';
import { MailboxViewModule } from '@app/mailbox-view';
import { MailController } from './mail.controller';

/** Folders, message lists, threads, search, message bodies and attachments. */
@Module({ imports: [MailboxViewModule], controllers: [MailController] })
export class WebmailReadingModule {}
