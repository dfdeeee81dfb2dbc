import { Module } from '@nestjs/common';
import { MessageAcceptance } from './message-acceptance.service';

/** Needs `DataSource` (DatabaseModule.forApp) and `Queues` (QueuesModule) in scope. */
@Module({ providers: [MessageAcceptance], exports: [MessageAcceptance] })
export class MessagesModule {}
