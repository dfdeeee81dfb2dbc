import { Module } from '@nestjs/common';
import { MessageIndexer } from './message-indexer.service';

@Module({ providers: [MessageIndexer], exports: [MessageIndexer] })
export class MirrorModule {}
