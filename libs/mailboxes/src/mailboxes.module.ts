import { Module } from '@nestjs/common';
import { TenantsModule } from '@app/tenants/tenants.module';
import { MailboxesService } from './mailboxes.service';

/** Needs a `DataSource` provider in scope (DatabaseModule.forApp). */
@Module({
  imports: [TenantsModule],
  providers: [MailboxesService],
  exports: [MailboxesService],
})
export class MailboxesModule {}
