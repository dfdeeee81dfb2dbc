import { Module } from '@nestjs/common';
import { MessagesModule } from '@app/messages';
import { RecipientDirectoryModule } from '@app/mailboxes';
import { OUTBOUND_LIMITER, RedisOutboundLimiter } from '@app/outbound';
import { AddressDirectory } from './address-directory.service';
import { ComposeController, DirectoryController, DraftsController } from './compose.controller';
import { DraftsService } from './drafts.service';
import { ReplyTemplateService } from './reply-template.service';
import { SendLimits } from './send-limits.service';
import { SendService } from './send.service';
import { SenderAccess } from './sender-access.service';

/**
 * Compose, reply, forward, drafts, attachments and sending. Needs the
 * global DataSource, BLOB_STORE, Queues, APP_CONFIG and LOGGER of the
 * webmail app.
 */
@Module({
  imports: [MessagesModule, RecipientDirectoryModule],
  controllers: [DraftsController, ComposeController, DirectoryController],
  providers: [
    SenderAccess,
    DraftsService,
    ReplyTemplateService,
    SendLimits,
    SendService,
    AddressDirectory,
    // The MX's token buckets: the webmail's sending counts against the tenant's outbound limits.
    { provide: OUTBOUND_LIMITER, useClass: RedisOutboundLimiter },
  ],
  exports: [DraftsService, SendService, SenderAccess],
})
export class WebmailComposeModule {}
