import { Module } from '@nestjs/common';

/** Mailboxes, aliases, distribution groups, shared mailboxes; CSV import and export. */
@Module({})
export class DirectoryResourcesModule {}
