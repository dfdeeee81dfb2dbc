import { Module } from '@nestjs/common';
import { MailboxAccess } from './mailbox-access.service';
import { MailboxViewService } from './mailbox-view.service';
import { MessageContentService } from './message-content.service';

/** Needs `DataSource` (DatabaseModule.forApp) and `BLOB_STORE` (BlobStoreModule) in scope. */
@Module({ providers: [MailboxAccess, MailboxViewService, MessageContentService], exports: [MailboxAccess, MailboxViewService, MessageContentService] })
export class MailboxViewModule {}
