import { Module } from '@nestjs/common';
import { RecipientDirectory } from './recipient-directory.service';

/** Needs a `DataSource` provider in scope (DatabaseModule.forApp). */
@Module({ providers: [RecipientDirectory], exports: [RecipientDirectory] })
export class RecipientDirectoryModule {}
