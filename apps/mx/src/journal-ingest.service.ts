import { Inject, Injectable } from '@nestjs/common';
import { once } from 'node:events';
import { BLOB_STORE, BlobStore, blobKey } from '@app/blob-store';
import { RecipientDirectory } from '@app/mailboxes';
import { AcceptMessageInput, newQueueId } from '@app/messages';
import { readJournalReport, JournalEnvelope } from '@app/outbound';
import { normalizeDomainName } from '@app/tenants/domain-verification';
import { LOGGER, Logger } from '@app/observability';

/** A journal report as the MX stored it (blob committed), before it is recorded. */
export interface StoredJournalReport {
  tenantId: string;
  queueId: string;
  blobKey: string;
  sizeBytes: number;
  /** The report's envelope sender (Exchange's journaling mailbox, or <>). */
  mailFrom: string;
  base: Omit<AcceptMessageInput, 'tenantId' | 'queueId' | 'blobKey' | 'sizeBytes' | 'mailFrom' | 'recipients' | 'mirrorMailboxIds'>;
}

export interface UnpackedJournal {
  input: AcceptMessageInput;
  /** The report's own blob, to delete once the original is recorded (null when the report itself is kept). */
  reportKeyToDelete: string | null;
  /** The original's blob, to delete if recording fails before the commit. */
  originalKey: string | null;
}

/**
 * Unpacks a tenant's journal report (Exchange's envelope journaling format)
 * into the original message, stored as a blob of its own, with mirror
 * entries for the sender's Sent folder and each internal recipient's Inbox.
 * A report we cannot take apart is recorded whole and flagged, never dropped.
 */
@Injectable()
export class JournalIngest {
  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly directory: RecipientDirectory,
  ) {}

  async unpack(report: StoredJournalReport, receivedAt: Date): Promise<UnpackedJournal> {
    const queueId = newQueueId(receivedAt.getTime());
    const key = blobKey(report.tenantId, queueId);
    const writer = this.blobs.createWriter(key);
    let writeError: Error | null = null;
    writer.on('error', (e: Error) => (writeError ??= e));
    const sink = async (chunk: Buffer) => {
      if (writeError) throw writeError;
      if (!writer.write(chunk)) await Promise.race([once(writer, 'drain'), once(writer, 'error')]);
    };
    let result;
    try {
      result = await readJournalReport(this.blobs.openRead(report.blobKey), sink);
      if (writeError) throw writeError;
    } catch (err) {
      await writer.abort().catch(() => undefined);
      throw err;
    }
    const ctx = { queueId: report.queueId, tenantId: report.tenantId };
    if (!result.ok) {
      await writer.abort().catch(() => undefined);
      this.log.warn({ ...ctx, reason: result.reason }, 'journal report could not be unpacked; kept whole and flagged');
      const mirror = result.envelope ? await this.mirrorsFor(report.tenantId, result.envelope) : { inbox: [], sent: [] };
      return {
        input: {
          ...report.base,
          tenantId: report.tenantId,
          queueId: report.queueId,
          blobKey: report.blobKey,
          sizeBytes: report.sizeBytes,
          mailFrom: report.mailFrom,
          recipients: result.envelope?.recipients ?? [],
          mirrorMailboxIds: mirror.inbox,
          sentMailboxIds: mirror.sent,
          direction: 'journal',
          journalState: 'unparsed',
        },
        reportKeyToDelete: null,
        originalKey: null,
      };
    }
    const { size } = await writer.commit();
    const mirror = await this.mirrorsFor(report.tenantId, result.envelope);
    this.log.info({ ...ctx, originalQueueId: queueId, sender: result.envelope.sender, recipients: result.envelope.recipients.length, mirrors: mirror.inbox.length + mirror.sent.length }, 'journal report unpacked');
    return {
      input: {
        ...report.base,
        tenantId: report.tenantId,
        queueId,
        blobKey: key,
        sizeBytes: size,
        mailFrom: result.envelope.sender ?? '',
        recipients: result.envelope.recipients,
        mirrorMailboxIds: mirror.inbox,
        sentMailboxIds: mirror.sent,
        direction: 'journal',
        journalState: 'parsed',
      },
      reportKeyToDelete: report.blobKey,
      originalKey: key,
    };
  }

  /** The tenant's standby mailboxes the journaled message belongs in: the sender's Sent, each internal recipient's Inbox. */
  private async mirrorsFor(tenantId: string, env: JournalEnvelope): Promise<{ inbox: string[]; sent: string[] }> {
    const sent = env.sender ? await this.ownMailboxes(tenantId, env.sender, false) : [];
    const inbox = new Set<string>();
    for (const r of env.recipients) for (const id of await this.ownMailboxes(tenantId, r, true)) inbox.add(id);
    return { inbox: [...inbox], sent };
  }

  private async ownMailboxes(tenantId: string, address: string, groups: boolean): Promise<string[]> {
    const at = address.lastIndexOf('@');
    if (at <= 0) return [];
    const d = normalizeDomainName(address.slice(at + 1));
    if (!d.ok) return [];
    const owner = await this.directory.verifiedTenantForDomain(d.name);
    if (owner?.tenantId !== tenantId) return [];
    const target = await this.directory.findRecipient(tenantId, `${address.slice(0, at).toLowerCase()}@${d.name}`);
    if (!target || (!groups && target.kind === 'group')) return [];
    return target.mailboxIds;
  }
}
