import { Module } from '@nestjs/common';
import { MailboxesModule } from '@app/mailboxes';
import { DirectoryService } from './directory.service';
import { MailboxesController } from './mailboxes.controller';
import { AliasesController } from './aliases.controller';
import { GroupsController } from './groups.controller';
import { SharedMailboxesController } from './shared-mailboxes.controller';

/** Mailboxes, aliases, distribution groups, shared mailboxes; CSV import and export. */
@Module({
  imports: [MailboxesModule],
  controllers: [MailboxesController, AliasesController, GroupsController, SharedMailboxesController],
  providers: [DirectoryService],
  exports: [DirectoryService],
})
export class DirectoryResourcesModule {}
