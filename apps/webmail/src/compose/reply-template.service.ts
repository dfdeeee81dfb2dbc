import { Inject, Injectable } from '@nestjs/common';
import { AddressObject, ParsedMail, simpleParser } from 'mailparser';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BLOB_STORE, BlobStore, readBlobHead } from '@app/blob-store';
import { HttpError } from '@app/http';
import type { AddressValue } from '@app/messages';
import type { Employee } from '../session/employee';
import { forwardedText, Language, megabytes, prefixedSubject, quotedReply, Recipient, replyRecipients, replyReferences } from './compose-text';
import { isUuid } from './compose.schemas';
import { AttachmentSource, Draft, DraftsService } from './drafts.service';
import { notFound, SenderAccess } from './sender-access.service';

interface EntryRow {
  mailboxId: string;
  blobKey: string;
  sizeBytes: string;
  from: AddressValue[] | null;
  to: AddressValue[] | null;
  cc: AddressValue[] | null;
  subject: string | null;
  headerDate: Date | null;
  receivedAt: Date;
  messageIdHeader: string | null;
  references: string[] | null;
  bodyText: string | null;
  language: Language;
}

/** What a reply or forward needs of the original. */
interface Original {
  from: Recipient[];
  replyTo: Recipient[];
  to: Recipient[];
  cc: Recipient[];
  subject: string | null;
  date: Date | null;
  messageId: string | null;
  references: string[];
  text: string;
  attachments: AttachmentSource[];
}

function recipientsOf(list: AddressValue[] | null | undefined): Recipient[] {
  return (list ?? []).filter((a) => a.address).map((a) => (a.name ? { name: a.name, address: a.address } : { address: a.address }));
}

function parsedRecipients(h: AddressObject | AddressObject[] | undefined): Recipient[] {
  const objects = h ? (Array.isArray(h) ? h : [h]) : [];
  const out: Recipient[] = [];
  const walk = (list: Array<{ name?: string; address?: string; group?: unknown[] }>) => {
    for (const a of list) {
      if (a.group) walk(a.group as typeof list);
      else if (a.address) out.push(a.name ? { name: a.name, address: a.address } : { address: a.address });
    }
  };
  for (const o of objects) walk(o.value);
  return out;
}

/**
 * A prefilled draft answering or forwarding a message in one of the
 * employee's mailboxes (their own, or a shared one they belong to).
 */
@Injectable()
export class ReplyTemplateService {
  constructor(
    private readonly ds: DataSource,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'WEBMAIL_MAX_MESSAGE_BYTES'>,
    private readonly drafts: DraftsService,
    private readonly senders: SenderAccess,
  ) {}

  async create(e: Employee, entryId: string, mode: 'reply' | 'replyAll' | 'forward'): Promise<Draft> {
    if (!isUuid(entryId)) throw notFound('no such message');
    const readable = await this.senders.readableMailboxIds(e);
    const rows: EntryRow[] = await this.ds.query(
      `SELECT me.mailbox_id AS "mailboxId", m.blob_key AS "blobKey", m.size_bytes AS "sizeBytes", m.from_addr AS "from", m.to_addr AS "to", m.cc_addr AS "cc",
              m.subject, m.header_date AS "headerDate", m.received_at AS "receivedAt", m.message_id_header AS "messageIdHeader", m.references_ids AS "references",
              m.body_text AS "bodyText", t.language
         FROM mirror_entries me
         JOIN messages m ON m.id = me.message_id AND m.tenant_id = me.tenant_id
         JOIN tenants t ON t.id = me.tenant_id
        WHERE me.tenant_id = $1 AND me.id = $2 AND me.mailbox_id = ANY($3::uuid[])`,
      [e.tenantId, entryId, readable],
    );
    const entry = rows[0];
    if (!entry) throw notFound('no such message');
    const original = await this.original(entry, mode === 'forward');

    // Answer as the shared mailbox the message is in, when the employee may send as it.
    const sendAs = entry.mailboxId === e.mailboxId ? null : await this.senders.sendAs(e, entry.mailboxId).catch(() => null);
    const sender = sendAs ?? (await this.senders.sendAs(e, null));
    const language: Language = entry.language === 'de' ? 'de' : 'en';
    const references = replyReferences(original.references, original.messageId);
    if (mode === 'forward') {
      return this.drafts.create(
        e,
        {
          fromMailboxId: sender.mailboxId,
          subject: prefixedSubject(original.subject, 'forward'),
          text: forwardedText(original.text, original, language),
          mode,
          inReplyToEntryId: entryId,
          inReplyTo: null,
          references,
        },
        original.attachments,
      );
    }
    const { to, cc } = replyRecipients(original, mode, [e.address, sender.address]);
    return this.drafts.create(e, {
      fromMailboxId: sender.mailboxId,
      to,
      cc,
      subject: prefixedSubject(original.subject, mode),
      text: quotedReply(original.text, { date: original.date, from: original.from[0] ?? null }, language),
      mode,
      inReplyToEntryId: entryId,
      inReplyTo: original.messageId,
      references,
    });
  }

  /**
   * The original. A reply needs its addresses and text: the indexed row has
   * them, and only the header block is read from the stored bytes (for
   * Reply-To), however large the message. A forward needs the attachments,
   * so the whole message is parsed, up to a size limit. A message not indexed
   * yet (or that the index could not read) is parsed whole as well.
   */
  private async original(entry: EntryRow, withAttachments: boolean): Promise<Original> {
    const fromRow: Original = {
      from: recipientsOf(entry.from),
      replyTo: [],
      to: recipientsOf(entry.to),
      cc: recipientsOf(entry.cc),
      subject: entry.subject,
      date: entry.headerDate ?? entry.receivedAt,
      messageId: entry.messageIdHeader,
      references: entry.references ?? [],
      text: entry.bodyText ?? '',
      attachments: [],
    };
    const limit = this.cfg.WEBMAIL_MAX_MESSAGE_BYTES * 2;
    const tooLarge = Number(entry.sizeBytes) > limit;
    if (withAttachments && tooLarge) throw new HttpError(413, 'message_too_large', `the message is larger than ${megabytes(limit)} and cannot be forwarded from the webmail`);
    if (!withAttachments && (entry.bodyText !== null || tooLarge)) return this.withHeaderFields(fromRow, entry.blobKey);
    let parsed: ParsedMail;
    try {
      parsed = await simpleParser(this.blobs.openRead(entry.blobKey), { skipImageLinks: true, skipTextToHtml: true });
    } catch {
      // Mail no parser understands is still answered from what the index holds, and forwarded whole as an attached message.
      if (!withAttachments) return fromRow;
      const chunks: Buffer[] = [];
      for await (const c of this.blobs.openRead(entry.blobKey)) chunks.push(c as Buffer);
      return { ...fromRow, attachments: [{ filename: 'original.eml', contentType: 'message/rfc822', content: Buffer.concat(chunks) }] };
    }
    return {
      ...merged(fromRow, parsed),
      date: entry.headerDate ?? parsed.date ?? entry.receivedAt,
      text: parsed.text ?? fromRow.text,
      attachments: withAttachments
        ? parsed.attachments.filter((a) => !a.related).map((a) => ({ filename: a.filename ?? 'attachment', contentType: a.contentType || 'application/octet-stream', content: a.content }))
        : [],
    };
  }

  /** The indexed fields completed from the header block alone (Reply-To is not indexed). */
  private async withHeaderFields(fromRow: Original, blobKey: string): Promise<Original> {
    const head = await readBlobHead(this.blobs, blobKey, HEADER_LIMIT);
    const end = headerEnd(head);
    if (end < 0) return fromRow;
    try {
      const parsed = await simpleParser(head.subarray(0, end), { skipImageLinks: true, skipTextToHtml: true });
      return merged(fromRow, parsed);
    } catch {
      return fromRow;
    }
  }
}

/** The header block of a message is read up to this size when only headers are needed. */
const HEADER_LIMIT = 256 * 1024;

/** Offset just past the blank line that ends the header block, with that blank line; -1 when it is not within `head`. */
function headerEnd(head: Buffer): number {
  const crlf = head.indexOf('\r\n\r\n');
  const lf = head.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return -1;
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return crlf + 4;
  return lf + 2;
}

/** What the index holds, with the parser's view where the index has nothing. */
function merged(fromRow: Original, parsed: ParsedMail): Original {
  const ids = (v: string | string[] | undefined) => (v ? (Array.isArray(v) ? v : v.split(/\s+/)).filter(Boolean) : []);
  return {
    ...fromRow,
    from: fromRow.from.length ? fromRow.from : parsedRecipients(parsed.from),
    replyTo: parsedRecipients(parsed.replyTo),
    to: fromRow.to.length ? fromRow.to : parsedRecipients(parsed.to),
    cc: fromRow.cc.length ? fromRow.cc : parsedRecipients(parsed.cc),
    subject: fromRow.subject ?? parsed.subject ?? null,
    messageId: fromRow.messageId ?? parsed.messageId ?? null,
    references: fromRow.references.length ? fromRow.references : ids(parsed.references),
  };
}
