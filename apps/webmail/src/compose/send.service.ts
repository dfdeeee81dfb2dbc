import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BLOB_STORE, BlobStore, blobKey } from '@app/blob-store';
import { HttpError } from '@app/http';
import { AcceptMessageInput, buildReceivedHeader, MessageAcceptance, newQueueId } from '@app/messages';
import { RecipientDirectory } from '@app/mailboxes';
import { LOGGER, Logger } from '@app/observability';
import type { Employee } from '../session/employee';
import { canonicalAddress, isValidAddress, megabytes, Recipient, textToHtml } from './compose-text';
import { DraftsService } from './drafts.service';
import { notFound, SenderAccess } from './sender-access.service';
import { SendLimits } from './send-limits.service';

export interface SentMessage {
  messageId: string;
  queueId: string;
  messageIdHeader: string;
  sentAt: string;
}

/** The header that marks mail written in the continuity webmail (its copy back to Exchange carries it too). */
export const WEBMAIL_MAILER = 'Mail continuity webmail';

/** A send in progress this long ago is taken to have died, and the draft may be sent again. */
const SENDING_CLAIM_SECONDS = 120;

type RouteKind = 'upstream' | 'internet';

function rowsOf<T>(res: unknown): T[] {
  return (Array.isArray(res) && Array.isArray(res[0]) ? res[0] : res) as T[];
}

/**
 * Sends a draft the way the MX takes outbound mail from a tenant's
 * Exchange: the MIME message is built here (MailComposer), stored in the
 * blob store, and recorded by MessageAcceptance in one transaction as an
 * outbound message — a delivery per recipient (the tenant's own domains to
 * its Exchange, held while the tenant is in continuity mode; the rest to
 * the internet, DKIM-signed for the sender's domain), an Inbox entry in
 * each colleague's standby mailbox, a Sent entry for the sender, and the
 * copy back to the sender's own Exchange mailbox (at once, or by the replay
 * when the event ends). Only then is the draft gone and the answer 202.
 */
@Injectable()
export class SendService {
  constructor(
    private readonly ds: DataSource,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'MX_HOSTNAME' | 'WEBMAIL_MAX_MESSAGE_BYTES' | 'WEBMAIL_MAX_RECIPIENTS'>,
    private readonly drafts: DraftsService,
    private readonly senders: SenderAccess,
    private readonly limits: SendLimits,
    private readonly directory: RecipientDirectory,
    private readonly acceptance: MessageAcceptance,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async send(e: Employee, draftId: string, clientAddress: string | null): Promise<SentMessage> {
    const draft = await this.drafts.get(e, draftId);
    const sender = await this.senders.sendAs(e, draft.fromMailboxId);
    const recipients = this.validate(draft.to, draft.cc, draft.bcc);
    if (draft.totalBytes > this.cfg.WEBMAIL_MAX_MESSAGE_BYTES) {
      throw new HttpError(413, 'message_too_large', `the attachments come to more than ${megabytes(this.cfg.WEBMAIL_MAX_MESSAGE_BYTES)}, the most one message may carry`, { limitBytes: this.cfg.WEBMAIL_MAX_MESSAGE_BYTES });
    }
    await this.claim(e, draft.id);
    let recorded = false;
    try {
      await this.limits.takeSend(e, recipients.length);
      const [tenant] = await this.ds.query(`SELECT delivery_lifetime_seconds AS "lifetime" FROM tenants WHERE id = $1`, [e.tenantId]);
      if (!tenant) throw notFound();

      const routeKinds: Record<string, RouteKind> = {};
      const mirrorMailboxIds: string[] = [];
      for (const address of recipients) {
        const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
        const owner = await this.directory.verifiedTenantForDomain(domain);
        const kind: RouteKind = owner?.tenantId === e.tenantId ? 'upstream' : 'internet';
        routeKinds[address.toLowerCase()] = kind;
        if (kind === 'upstream') {
          const target = await this.directory.findRecipient(e.tenantId, address.toLowerCase());
          if (target) mirrorMailboxIds.push(...target.mailboxIds);
        }
      }

      const now = new Date();
      const queueId = newQueueId(now.getTime());
      const senderDomain = sender.address.slice(sender.address.lastIndexOf('@') + 1);
      const messageIdHeader = `<${queueId}.${randomBytes(6).toString('hex')}@${senderDomain}>`;
      const attachments = await this.drafts.attachmentContents(e, draft.id);
      const mime = await new MailComposer({
        from: { name: sender.name || '', address: sender.address },
        to: draft.to.map(asAddress),
        cc: draft.cc.map(asAddress),
        // Bcc is in the envelope only; MailComposer leaves the header out.
        subject: draft.subject,
        text: draft.text,
        html: textToHtml(draft.text),
        messageId: messageIdHeader,
        date: now,
        inReplyTo: draft.inReplyTo ?? undefined,
        references: draft.references.length ? draft.references.join(' ') : undefined,
        headers: { 'X-Mailer': WEBMAIL_MAILER },
        attachments: attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
        envelope: { from: sender.address, to: recipients },
      })
        .compile()
        .build();

      const key = blobKey(e.tenantId, queueId);
      const received = buildReceivedHeader({ helo: 'webmail', clientAddress: clientAddress ?? '127.0.0.1', by: this.cfg.MX_HOSTNAME, protocol: 'HTTPS', queueId, recipient: recipients.length === 1 ? recipients[0] : null, date: now });
      const writer = this.blobs.createWriter(key);
      let size: number;
      try {
        writer.write(Buffer.from(received, 'utf8'));
        writer.write(mime);
        size = (await writer.commit()).size;
      } catch (err) {
        await writer.abort().catch(() => undefined);
        this.logger.error({ queueId, err: err instanceof Error ? err.message : String(err) }, 'webmail message could not be stored');
        throw new HttpError(503, 'store_unavailable', 'the message could not be stored; it was not sent, try again');
      }

      const smtputf8 = [sender.address, ...recipients].some((a) => /[^\x00-\x7f]/.test(a.slice(0, a.lastIndexOf('@'))));
      const input: AcceptMessageInput = {
        tenantId: e.tenantId,
        queueId,
        blobKey: key,
        sizeBytes: size,
        mailFrom: sender.address,
        recipients,
        mirrorMailboxIds,
        clientAddress,
        clientHelo: 'webmail',
        body8bitmime: false,
        smtputf8,
        receivedAt: now,
        deliveryLifetimeSeconds: Number(tenant.lifetime),
        direction: 'outbound',
        routeKinds,
        sentMailboxIds: [sender.mailboxId],
        signDkim: true,
        copyBackTo: sender.address,
      };
      let accepted;
      try {
        [accepted] = await this.acceptance.accept([input], now);
      } catch (err) {
        // The blob stays: a commit whose answer was lost may have recorded it; the orphan sweep checks.
        this.logger.error({ queueId, err: err instanceof Error ? err.message : String(err) }, 'webmail message could not be recorded');
        throw new HttpError(503, 'unavailable', 'the message could not be recorded; it was not sent, try again');
      }
      recorded = true;
      // What the message list shows, known already: the Sent folder has it at once; the index job fills the rest (and the same again).
      await this.ds
        .query(
          `UPDATE messages SET from_addr = $3::jsonb, to_addr = $4::jsonb, cc_addr = $5::jsonb, subject = $6, header_date = $7, message_id_header = $8, in_reply_to = $9,
                  references_ids = $10::text[], snippet = $11
            WHERE tenant_id = $1 AND id = $2 AND index_state = 'pending'`,
          [
            e.tenantId, accepted.messageId, JSON.stringify([{ name: sender.name, address: sender.address }]),
            JSON.stringify(draft.to.map((r) => ({ name: r.name ?? '', address: canonicalAddress(r.address) }))), JSON.stringify(draft.cc.map((r) => ({ name: r.name ?? '', address: canonicalAddress(r.address) }))),
            draft.subject, now, messageIdHeader, draft.inReplyTo, draft.references, draft.text.replace(/\s+/g, ' ').trim().slice(0, 200) || null,
          ],
        )
        .catch((err: unknown) => this.logger.warn({ queueId, err: err instanceof Error ? err.message : String(err) }, 'could not pre-fill the sent message for the list'));
      await this.ds
        .query(`INSERT INTO webmail_sent_messages (message_id, tenant_id, author_mailbox_id, from_mailbox_id, mode, recipients, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`, [
          accepted.messageId, e.tenantId, e.mailboxId, sender.mailboxId, draft.mode, recipients.length, now,
        ])
        .catch((err: unknown) => this.logger.warn({ queueId, err: err instanceof Error ? err.message : String(err) }, 'could not record the webmail send'));
      this.acceptance.announce(accepted).catch((err: unknown) => this.logger.warn({ queueId, err: err instanceof Error ? err.message : String(err) }, 'delivery not announced; the sweeper will find it'));
      this.logger.info(
        { queueId, messageId: accepted.messageId, tenantId: e.tenantId, mailboxId: e.mailboxId, from: sender.address, rcpt: recipients.length, size, local: Object.values(routeKinds).filter((k) => k === 'upstream').length, mode: draft.mode },
        'sent from webmail',
      );
      await this.drafts.discardAfterSend(e, draft.id);
      return { messageId: accepted.messageId, queueId, messageIdHeader, sentAt: now.toISOString() };
    } finally {
      if (!recorded) await this.ds.query(`UPDATE webmail_drafts SET sending_at = NULL WHERE tenant_id = $1 AND id = $2`, [e.tenantId, draft.id]).catch(() => undefined);
    }
  }

  /** Every recipient once (to, cc, bcc in that order), each a valid address; 400 naming the field otherwise. */
  validate(to: Recipient[], cc: Recipient[], bcc: Recipient[]): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const [field, list] of [['to', to], ['cc', cc], ['bcc', bcc]] as const) {
      for (const r of list) {
        const address = canonicalAddress(r.address);
        if (!isValidAddress(address)) throw fieldError('invalid_recipient', `${field}: "${address.slice(0, 100)}" is not a valid e-mail address`, field);
        const k = address.toLowerCase();
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(address);
      }
    }
    if (!out.length) throw fieldError('no_recipients', 'add at least one recipient', 'to');
    if (out.length > this.cfg.WEBMAIL_MAX_RECIPIENTS) throw fieldError('too_many_recipients', `a message may have at most ${this.cfg.WEBMAIL_MAX_RECIPIENTS} recipients`, 'to');
    return out;
  }

  /** One send per draft at a time: a double click must not send it twice. */
  private async claim(e: Employee, draftId: string): Promise<void> {
    const rows = rowsOf(
      await this.ds.query(
        `UPDATE webmail_drafts SET sending_at = now()
          WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3 AND (sending_at IS NULL OR sending_at < now() - make_interval(secs => $4))
          RETURNING id`,
        [e.tenantId, e.mailboxId, draftId, SENDING_CLAIM_SECONDS],
      ),
    );
    if (!rows.length) throw new HttpError(409, 'already_sending', 'this draft is being sent already');
  }
}

/** A 400 whose body names the field, like the validation pipe's. */
function fieldError(code: string, message: string, field: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, code, message, field });
}

function asAddress(r: Recipient): { name: string; address: string } | string {
  return r.name ? { name: r.name, address: canonicalAddress(r.address) } : canonicalAddress(r.address);
}
