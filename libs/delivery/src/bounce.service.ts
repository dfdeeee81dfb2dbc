import { Inject, Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BLOB_STORE, BlobStore, blobKey, readBlobHead } from '@app/blob-store';
import { newQueueId } from '@app/messages/queue-id';
import { buildDsn, DsnRecipient } from './dsn-builder';
import { DeliveryStore, DsnRecord, MessageForDelivery } from './delivery.store';
import { recipientDomain } from './next-hop';

const HEADER_READ_LIMIT = 512 * 1024;

/**
 * Writes DSNs (Postfix's `bounce` daemon): builds the report, stores it as a
 * message blob of its own with fsync, and returns what must be recorded in
 * the same transaction as the failed rows. Never for the null sender.
 */
@Injectable()
export class BounceService {
  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'MX_HOSTNAME'>,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly store: DeliveryStore,
  ) {}

  async writeDsn(message: MessageForDelivery, recipients: DsnRecipient[]): Promise<DsnRecord | null> {
    if (!message.mailFrom || message.direction === 'dsn' || recipients.length === 0) return null;
    const originalHeaders = await readBlobHead(this.blobs, message.blobKey, HEADER_READ_LIMIT);
    const queueId = newQueueId();
    const built = buildDsn({
      reportingMta: this.cfg.MX_HOSTNAME,
      originalQueueId: message.queueId,
      originalMailFrom: message.mailFrom,
      arrivalDate: new Date(message.receivedAt),
      recipients,
      originalHeaders,
      now: new Date(),
      boundary: `${queueId}/${this.cfg.MX_HOSTNAME}`,
      messageId: `<${queueId}.dsn@${this.cfg.MX_HOSTNAME}>`,
    });
    const key = blobKey(message.tenantId, queueId);
    const w = this.blobs.createWriter(key);
    try {
      await new Promise<void>((resolve, reject) => Readable.from([built.raw]).pipe(w).on('error', reject).on('finish', resolve));
      await w.commit();
    } catch (e) {
      await w.abort();
      throw e;
    }
    const senderTenant = await this.store.tenantOfVerifiedDomain(recipientDomain(message.mailFrom));
    return {
      tenantId: message.tenantId,
      queueId,
      blobKey: key,
      sizeBytes: built.raw.length,
      recipient: message.mailFrom,
      routeKind: senderTenant ? 'upstream' : 'internet',
      body8bitmime: built.eightBit,
      smtputf8: /[^\x00-\x7f]/.test(message.mailFrom),
      lifetimeSeconds: await this.store.tenantLifetimeSeconds(message.tenantId),
    };
  }

  /** Removes a DSN blob whose transaction did not commit. */
  async discard(dsn: DsnRecord): Promise<void> {
    await this.blobs.delete(dsn.blobKey);
  }
}
