import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BLOB_STORE, BlobStore } from '@app/blob-store';
import type { AttachmentInfo } from '@app/messages';
import type { AuthSummary } from '@app/mail-auth';
import { authView } from './auth-warning';
import { isUuid } from './cursor';
import { MailboxAccess, MessageNotFoundError } from './mailbox-access.service';
import { personOf, peopleOf, SEEN, threadIdOf } from './mailbox-view.service';
import { AttachmentView, Folder, MessageDetail, Person, Viewer } from './mailbox-view.types';
import { mailDocument, sanitizeMailHtml } from './html-sanitizer';
import { AttachmentPart, openAttachment, readMessageBody, UnreadableMessageError } from './message-body';

interface EntryRow {
  id: string;
  mailbox_id: string;
  folder: Folder;
  trashed_from: Folder | null;
  flags: string[];
  received_at: Date;
  blob_key: string;
  size_bytes: string;
  mail_from: string;
  index_state: 'pending' | 'indexed' | 'unparseable';
  index_error: string | null;
  thread_id: string;
  from_addr: Person[] | null;
  to_addr: Person[] | null;
  cc_addr: Person[] | null;
  subject: string | null;
  header_date: Date | null;
  message_id_header: string | null;
  in_reply_to: string | null;
  references_ids: string[] | null;
  attachments: AttachmentInfo[] | null;
  body_text: string | null;
  auth_summary: AuthSummary | null;
}

const READ_TIMEOUT_MS = 20_000;
/** Text returned in one detail response; longer bodies are cut (the raw message stays whole). */
const MAX_TEXT_CHARS = 1_000_000;
/** Inline images embedded in one HTML view. */
const MAX_INLINE_IMAGE_BYTES = 10 * 1024 * 1024;
/** What is shown of a message no parser understood. */
const RAW_PREVIEW_BYTES = 256 * 1024;

/**
 * A message's content for the reader: headers and text, the sanitized HTML
 * document, and attachments streamed from the stored bytes.
 */
@Injectable()
export class MessageContentService {
  constructor(
    private readonly ds: DataSource,
    private readonly access: MailboxAccess,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  private async load(v: Viewer, entryId: string): Promise<EntryRow> {
    if (!isUuid(entryId)) throw new MessageNotFoundError();
    const ids = await this.access.permittedIds(v);
    const rows: EntryRow[] = await this.ds.query(
      `SELECT e.id, e.mailbox_id, e.folder, e.trashed_from, e.flags, e.received_at,
              m.blob_key, m.size_bytes, m.mail_from, m.index_state, m.index_error, e.thread_id, m.from_addr, m.to_addr, m.cc_addr,
              m.subject, m.header_date, m.message_id_header, m.in_reply_to, m.references_ids, m.attachments, m.body_text, m.auth_summary
         FROM mirror_entries e
         JOIN messages m ON m.id = e.message_id AND m.tenant_id = e.tenant_id
        WHERE e.id = $1 AND e.tenant_id = $2 AND e.mailbox_id = ANY($3::uuid[])`,
      [entryId, v.tenantId, ids],
    );
    if (!rows.length) throw new MessageNotFoundError();
    return rows[0];
  }

  async detail(v: Viewer, entryId: string): Promise<MessageDetail> {
    const r = await this.load(v, entryId);
    let html: string | null = null;
    let text: string | null = r.body_text;
    let replyTo: Person[] = [];
    let unparseable = r.index_state === 'unparseable';
    if (!unparseable) {
      try {
        const body = await readMessageBody(this.blobs.openRead(r.blob_key), { timeoutMs: READ_TIMEOUT_MS, collectInlineImages: false, maxInlineImageBytes: 0 });
        html = body.html;
        text = body.text ?? text;
        replyTo = body.replyTo;
      } catch (e) {
        if (!(e instanceof UnreadableMessageError)) throw e;
        unparseable = true;
      }
    }
    if (unparseable) text = await this.rawPreview(r.blob_key);
    const remoteImages = html ? sanitizeMailHtml(html, { allowRemoteImages: false }).remoteImages : 0;
    const base = `/api/messages/${r.id}`;
    const attachments: AttachmentView[] = (Array.isArray(r.attachments) ? r.attachments : []).map((a, index) => ({
      index,
      filename: a.filename,
      contentType: a.contentType,
      size: a.size,
      inline: a.inline,
      url: `${base}/attachments/${index}`,
    }));
    return {
      id: r.id,
      mailboxId: r.mailbox_id,
      folder: r.folder,
      trashedFrom: r.trashed_from,
      threadId: threadIdOf(r.thread_id),
      from: personOf(r.from_addr, r.mail_from || undefined),
      sender: r.mail_from,
      to: peopleOf(r.to_addr),
      cc: peopleOf(r.cc_addr),
      replyTo,
      subject: r.subject,
      date: new Date(r.header_date ?? r.received_at).toISOString(),
      receivedAt: new Date(r.received_at).toISOString(),
      messageIdHeader: r.message_id_header,
      inReplyTo: r.in_reply_to,
      references: r.references_ids ?? [],
      unread: !r.flags.includes(SEEN),
      auth: authView(r.auth_summary),
      attachments,
      hasHtml: html !== null,
      remoteImages,
      text: text && text.length > MAX_TEXT_CHARS ? text.slice(0, MAX_TEXT_CHARS) : text,
      htmlUrl: html !== null ? `${base}/html` : null,
      unparseable,
      note: r.index_state === 'indexed' ? null : r.index_error,
    };
  }

  /** The sanitized HTML document of a message; 404 when it has no HTML part. */
  async htmlDocument(v: Viewer, entryId: string, allowRemoteImages: boolean): Promise<{ document: string; remoteImages: number }> {
    const r = await this.load(v, entryId);
    let html: string | null = null;
    let inlineImages = new Map<string, { contentType: string; content: Buffer }>();
    try {
      const body = await readMessageBody(this.blobs.openRead(r.blob_key), { timeoutMs: READ_TIMEOUT_MS, collectInlineImages: true, maxInlineImageBytes: MAX_INLINE_IMAGE_BYTES });
      html = body.html;
      inlineImages = body.inlineImages;
    } catch (e) {
      if (!(e instanceof UnreadableMessageError)) throw e;
    }
    if (html === null) throw new MessageNotFoundError();
    const clean = sanitizeMailHtml(html, { allowRemoteImages, inlineImages });
    return { document: mailDocument(clean.html), remoteImages: clean.remoteImages };
  }

  /** The attachment at `index` as a stream; 404 when there is none. */
  async attachment(v: Viewer, entryId: string, index: number): Promise<AttachmentPart> {
    const r = await this.load(v, entryId);
    // Before the indexer has listed them, the stream itself says whether the attachment exists.
    const listed = Array.isArray(r.attachments) ? r.attachments.length : Infinity;
    if (!Number.isInteger(index) || index < 0 || index >= listed) throw new MessageNotFoundError();
    let part: AttachmentPart | null = null;
    try {
      part = await openAttachment(this.blobs.openRead(r.blob_key), index, READ_TIMEOUT_MS);
    } catch (e) {
      if (!(e instanceof UnreadableMessageError)) throw e;
    }
    if (!part) throw new MessageNotFoundError();
    return part;
  }

  private rawPreview(key: string): Promise<string> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const s = this.blobs.openRead(key);
      const done = () => resolve(Buffer.concat(chunks).subarray(0, RAW_PREVIEW_BYTES).toString('utf8').replace(/\u0000/g, ''));
      s.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
        if (size >= RAW_PREVIEW_BYTES) {
          s.destroy();
          done();
        }
      });
      s.once('end', done);
      s.once('error', done);
    });
  }
}
