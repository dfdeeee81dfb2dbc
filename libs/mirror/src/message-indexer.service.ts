import { Injectable } from '@nestjs/common';
import { IndexMessageJob } from '@app/queues';

/**
 * Fills a message's parsed metadata (from, to, cc, subject, date, ids,
 * snippet, attachments, search text) from its blob with mailparser's
 * streaming MailParser. Safe to run twice.
 */
@Injectable()
export class MessageIndexer {
  async index(job: IndexMessageJob): Promise<void> {
    throw new Error(`indexing is being written (message ${job.messageId})`);
  }
}
