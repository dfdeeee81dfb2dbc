import { Injectable } from '@nestjs/common';

export interface RetentionReport { mirrorEntriesPurged: number; messagesDeleted: number; orphanBlobsDeleted: number; temporaryFilesDeleted: number }

/** Rolling window: purges old mirror entries, then blobs nothing refers to. */
@Injectable()
export class RetentionService {
  async runOnce(): Promise<RetentionReport> {
    throw new Error('retention is being written');
  }
}
