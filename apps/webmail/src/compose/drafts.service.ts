import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BLOB_STORE, BlobStore } from '@app/blob-store';
import { HttpError } from '@app/http';
import { LOGGER, Logger } from '@app/observability';
import type { Employee } from '../session/employee';
import { cleanContentType, cleanFilename, cleanName, ComposeMode, megabytes, Recipient } from './compose-text';
import { DraftFields, isUuid } from './compose.schemas';
import { notFound, SenderAccess } from './sender-access.service';

export interface DraftAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
}

export interface Draft {
  id: string;
  fromMailboxId: string;
  from: { name: string; address: string };
  to: Recipient[];
  cc: Recipient[];
  bcc: Recipient[];
  subject: string;
  text: string;
  mode: ComposeMode;
  inReplyToEntryId: string | null;
  inReplyTo: string | null;
  references: string[];
  attachments: DraftAttachment[];
  totalBytes: number;
  createdAt: string;
  updatedAt: string;
}

export interface DraftSummary {
  id: string;
  from: { name: string; address: string };
  to: Recipient[];
  subject: string;
  snippet: string;
  attachmentCount: number;
  updatedAt: string;
}

/** Everything a new draft may start with (a reply template fills more than the API's create does). */
export interface NewDraft extends DraftFields {
  mode?: ComposeMode;
  inReplyToEntryId?: string | null;
  inReplyTo?: string | null;
  references?: string[];
}

/** A file to copy into a draft (forward carries the original's attachments). */
export interface AttachmentSource {
  filename: string;
  contentType: string;
  content: Buffer;
}

const DRAFT_COLUMNS = `d.id, d.from_mailbox_id AS "fromMailboxId", fm.address AS "fromAddress", fm.display_name AS "fromName",
  d.to_addr AS "to", d.cc_addr AS "cc", d.bcc_addr AS "bcc", d.subject, d.body_text AS "text", d.mode,
  d.in_reply_to_entry_id AS "inReplyToEntryId", d.in_reply_to AS "inReplyTo", d.references_ids AS "references", d.created_at AS "createdAt", d.updated_at AS "updatedAt"`;

interface DraftRow {
  id: string;
  fromMailboxId: string;
  fromAddress: string;
  fromName: string;
  to: Recipient[];
  cc: Recipient[];
  bcc: Recipient[];
  subject: string;
  text: string;
  mode: ComposeMode;
  inReplyToEntryId: string | null;
  inReplyTo: string | null;
  references: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** At most this many files in one upload request. */
const MAX_FILES_PER_UPLOAD = 20;
/** At most this many files on one draft. */
const MAX_ATTACHMENTS = 100;

function cleanRecipients(list: Recipient[] | undefined): Recipient[] | undefined {
  return list?.map((r) => {
    const name = cleanName(r.name);
    return name ? { name, address: r.address.trim() } : { address: r.address.trim() };
  });
}

/**
 * Drafts of one employee: kept in Postgres with their files in the blob
 * store under the tenant. A draft is its author's only (mailbox_id); any
 * other id, of a colleague or of another tenant, is 404.
 */
@Injectable()
export class DraftsService {
  constructor(
    private readonly ds: DataSource,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'WEBMAIL_MAX_ATTACHMENT_BYTES' | 'WEBMAIL_MAX_MESSAGE_BYTES'>,
    private readonly senders: SenderAccess,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async list(e: Employee): Promise<DraftSummary[]> {
    const rows: Array<DraftRow & { attachmentCount: number }> = await this.ds.query(
      `SELECT ${DRAFT_COLUMNS}, (SELECT count(*)::int FROM webmail_draft_attachments a WHERE a.draft_id = d.id) AS "attachmentCount"
         FROM webmail_drafts d JOIN mailboxes fm ON fm.id = d.from_mailbox_id
        WHERE d.tenant_id = $1 AND d.mailbox_id = $2
        ORDER BY d.updated_at DESC LIMIT 500`,
      [e.tenantId, e.mailboxId],
    );
    return rows.map((r) => ({
      id: r.id,
      from: { name: r.fromName, address: r.fromAddress },
      to: r.to,
      subject: r.subject,
      snippet: r.text.replace(/\s+/g, ' ').trim().slice(0, 140),
      attachmentCount: r.attachmentCount,
      updatedAt: new Date(r.updatedAt).toISOString(),
    }));
  }

  async create(e: Employee, input: NewDraft, files: AttachmentSource[] = []): Promise<Draft> {
    const sender = await this.senders.sendAs(e, input.fromMailboxId);
    const id = await this.ds.transaction(async (em) => {
      const [row] = await em.query(
        `INSERT INTO webmail_drafts (tenant_id, mailbox_id, from_mailbox_id, to_addr, cc_addr, bcc_addr, subject, body_text, mode, in_reply_to_entry_id, in_reply_to, references_ids)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
        [
          e.tenantId, e.mailboxId, sender.mailboxId,
          JSON.stringify(cleanRecipients(input.to) ?? []), JSON.stringify(cleanRecipients(input.cc) ?? []), JSON.stringify(cleanRecipients(input.bcc) ?? []),
          input.subject ?? '', input.text ?? '', input.mode ?? 'new', input.inReplyToEntryId ?? null, input.inReplyTo ?? null, input.references ?? [],
        ],
      );
      return row.id as string;
    });
    // Copied files (a forward's) are within the limits the original had; an original over our limits is refused like an upload.
    try {
      let total = 0;
      for (const f of files) {
        total += f.content.length;
        this.checkSizes(f.content.length, total);
        await this.storeAttachment(e, id, f.filename, f.contentType, Readable.from([f.content]), f.content.length);
      }
    } catch (err) {
      await this.remove(e, id).catch(() => undefined);
      throw err;
    }
    return this.get(e, id);
  }

  async get(e: Employee, id: string): Promise<Draft> {
    return this.getWith(this.ds.manager, e, id);
  }

  private async getWith(em: EntityManager, e: Employee, id: string, lock = false): Promise<Draft> {
    if (!isUuid(id)) throw notFound('no such draft');
    const rows: DraftRow[] = await em.query(
      `SELECT ${DRAFT_COLUMNS} FROM webmail_drafts d JOIN mailboxes fm ON fm.id = d.from_mailbox_id
        WHERE d.tenant_id = $1 AND d.mailbox_id = $2 AND d.id = $3 ${lock ? 'FOR UPDATE OF d' : ''}`,
      [e.tenantId, e.mailboxId, id],
    );
    const r = rows[0];
    if (!r) throw notFound('no such draft');
    const attachments = await this.attachmentsOf(em, e, id);
    return {
      id: r.id,
      fromMailboxId: r.fromMailboxId,
      from: { name: r.fromName, address: r.fromAddress },
      to: r.to,
      cc: r.cc,
      bcc: r.bcc,
      subject: r.subject,
      text: r.text,
      mode: r.mode,
      inReplyToEntryId: r.inReplyToEntryId,
      inReplyTo: r.inReplyTo,
      references: r.references ?? [],
      attachments,
      totalBytes: attachments.reduce((n, a) => n + a.size, 0),
      createdAt: new Date(r.createdAt).toISOString(),
      updatedAt: new Date(r.updatedAt).toISOString(),
    };
  }

  private async attachmentsOf(em: EntityManager, e: Employee, draftId: string): Promise<DraftAttachment[]> {
    const rows: Array<{ id: string; filename: string; contentType: string; size: string }> = await em.query(
      `SELECT id, filename, content_type AS "contentType", size_bytes AS size FROM webmail_draft_attachments WHERE tenant_id = $1 AND draft_id = $2 ORDER BY created_at, id`,
      [e.tenantId, draftId],
    );
    return rows.map((r) => ({ id: r.id, filename: r.filename, contentType: r.contentType, size: Number(r.size) }));
  }

  async update(e: Employee, id: string, patch: DraftFields): Promise<Draft> {
    const current = await this.get(e, id);
    const sender = patch.fromMailboxId !== undefined ? await this.senders.sendAs(e, patch.fromMailboxId) : null;
    await this.ds.query(
      `UPDATE webmail_drafts SET
         from_mailbox_id = COALESCE($4, from_mailbox_id),
         to_addr = COALESCE($5::jsonb, to_addr), cc_addr = COALESCE($6::jsonb, cc_addr), bcc_addr = COALESCE($7::jsonb, bcc_addr),
         subject = COALESCE($8, subject), body_text = COALESCE($9, body_text), updated_at = now()
       WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3`,
      [
        e.tenantId, e.mailboxId, current.id, sender?.mailboxId ?? null,
        patch.to ? JSON.stringify(cleanRecipients(patch.to)) : null, patch.cc ? JSON.stringify(cleanRecipients(patch.cc)) : null, patch.bcc ? JSON.stringify(cleanRecipients(patch.bcc)) : null,
        patch.subject ?? null, patch.text ?? null,
      ],
    );
    return this.get(e, id);
  }

  /** Deletes the draft and its files. */
  async remove(e: Employee, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound('no such draft');
    const keys: Array<{ blob_key: string }> = await this.ds.transaction(async (em) => {
      const rows = await em.query(`SELECT blob_key FROM webmail_draft_attachments WHERE tenant_id = $1 AND draft_id = $2`, [e.tenantId, id]);
      const res = await em.query(`DELETE FROM webmail_drafts WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3 RETURNING id`, [e.tenantId, e.mailboxId, id]);
      if (!rowsOf(res).length) throw notFound('no such draft');
      return rows;
    });
    await this.deleteBlobs(keys.map((k) => k.blob_key));
  }

  /** Called by sending after the message is recorded: the draft is gone, its files' bytes live on in the message. */
  async discardAfterSend(e: Employee, id: string): Promise<void> {
    await this.remove(e, id).catch((err: unknown) => this.logger.warn({ draftId: id, err: err instanceof Error ? err.message : String(err) }, 'could not delete a sent draft'));
  }

  /** The stored bytes of one attachment, for download and for building the message. */
  async openAttachment(e: Employee, draftId: string, attachmentId: string): Promise<{ attachment: DraftAttachment; open: () => Readable }> {
    if (!isUuid(draftId) || !isUuid(attachmentId)) throw notFound('no such attachment');
    const rows: Array<{ id: string; filename: string; contentType: string; size: string; blobKey: string }> = await this.ds.query(
      `SELECT a.id, a.filename, a.content_type AS "contentType", a.size_bytes AS size, a.blob_key AS "blobKey"
         FROM webmail_draft_attachments a JOIN webmail_drafts d ON d.id = a.draft_id AND d.tenant_id = a.tenant_id
        WHERE a.tenant_id = $1 AND d.mailbox_id = $2 AND a.draft_id = $3 AND a.id = $4`,
      [e.tenantId, e.mailboxId, draftId, attachmentId],
    );
    const r = rows[0];
    if (!r) throw notFound('no such attachment');
    return { attachment: { id: r.id, filename: r.filename, contentType: r.contentType, size: Number(r.size) }, open: () => this.blobs.openRead(r.blobKey) };
  }

  /** Every attachment's bytes, in order (they are bounded by WEBMAIL_MAX_MESSAGE_BYTES). */
  async attachmentContents(e: Employee, draftId: string): Promise<Array<DraftAttachment & { content: Buffer }>> {
    const draft = await this.get(e, draftId);
    const out: Array<DraftAttachment & { content: Buffer }> = [];
    for (const a of draft.attachments) {
      const { open } = await this.openAttachment(e, draftId, a.id);
      const chunks: Buffer[] = [];
      for await (const c of open()) chunks.push(c as Buffer);
      out.push({ ...a, content: Buffer.concat(chunks) });
    }
    return out;
  }

  async removeAttachment(e: Employee, draftId: string, attachmentId: string): Promise<Draft> {
    if (!isUuid(draftId) || !isUuid(attachmentId)) throw notFound('no such attachment');
    const rows: Array<{ blob_key: string }> = rowsOf(
      await this.ds.query(
        `DELETE FROM webmail_draft_attachments a USING webmail_drafts d
          WHERE d.id = a.draft_id AND d.tenant_id = a.tenant_id AND a.tenant_id = $1 AND d.mailbox_id = $2 AND a.draft_id = $3 AND a.id = $4
          RETURNING a.blob_key`,
        [e.tenantId, e.mailboxId, draftId, attachmentId],
      ),
    );
    if (!rows.length) throw notFound('no such attachment');
    await this.deleteBlobs(rows.map((r) => r.blob_key));
    await this.ds.query(`UPDATE webmail_drafts SET updated_at = now() WHERE tenant_id = $1 AND id = $2`, [e.tenantId, draftId]);
    return this.get(e, draftId);
  }

  /**
   * A multipart upload (field `file`, one or more files) streamed into the
   * blob store: a file over WEBMAIL_MAX_ATTACHMENT_BYTES, or files that would
   * take the draft over WEBMAIL_MAX_MESSAGE_BYTES, are refused with 413 and
   * nothing of the request is kept.
   */
  async upload(e: Employee, draftId: string, req: IncomingMessage): Promise<Draft> {
    const draft = await this.get(e, draftId);
    const contentType = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data/i.test(contentType)) {
      req.resume();
      throw new HttpError(415, 'unsupported_media_type', 'upload files as multipart/form-data in the field "file"');
    }
    const stored: Array<{ key: string; filename: string; contentType: string; size: number }> = [];
    let failure: HttpError | null = null;
    let total = draft.totalBytes;
    let count = draft.attachments.length;
    const pending: Promise<void>[] = [];
    await new Promise<void>((resolve, reject) => {
      let bb: busboy.Busboy;
      try {
        bb = busboy({ headers: req.headers, limits: { files: MAX_FILES_PER_UPLOAD, fields: 20, fieldSize: 1024, parts: MAX_FILES_PER_UPLOAD + 20 } });
      } catch (err) {
        req.resume();
        return reject(new HttpError(400, 'invalid_request', `the upload could not be read: ${err instanceof Error ? err.message : String(err)}`));
      }
      bb.on('file', (field, stream, info) => {
        if (failure || field !== 'file') {
          stream.resume();
          return;
        }
        if (++count > MAX_ATTACHMENTS) {
          failure = new HttpError(413, 'too_many_attachments', `a message may carry at most ${MAX_ATTACHMENTS} attachments`);
          stream.resume();
          return;
        }
        const key = `${e.tenantId}/DA${randomUUID().replace(/-/g, '')}`;
        const filename = cleanFilename(info.filename);
        const type = cleanContentType(info.mimeType);
        let size = 0;
        const limit = this.cfg.WEBMAIL_MAX_ATTACHMENT_BYTES;
        const messageLimit = this.cfg.WEBMAIL_MAX_MESSAGE_BYTES;
        const writer = this.blobs.createWriter(key);
        // The file stream is always read to its end (busboy finishes the form only then); writing stops at the first problem.
        pending.push(
          new Promise<void>((done) => {
            let problem: Error | null = null;
            const stop = (err: Error) => {
              problem ??= err;
              if (stream.isPaused()) stream.resume();
            };
            writer.on('error', stop);
            stream.on('data', (chunk: Buffer) => {
              if (problem || failure) return;
              size += chunk.length;
              total += chunk.length;
              if (size > limit) return stop(tooLarge('attachment', filename, limit));
              if (total > messageLimit) return stop(tooLarge('message', filename, messageLimit));
              if (!writer.write(chunk)) {
                stream.pause();
                writer.once('drain', () => stream.resume());
              }
            });
            stream.on('end', () => {
              const finish = problem || failure ? Promise.reject(problem ?? failure) : writer.commit();
              finish
                .then(() => {
                  stored.push({ key, filename, contentType: type, size });
                })
                .catch(async (err: unknown) => {
                  await writer.abort().catch(() => undefined);
                  failure ??= err instanceof HttpError ? err : new HttpError(503, 'store_unavailable', 'the file could not be stored; try again');
                  if (!(err instanceof HttpError)) this.logger.error({ draftId, err: err instanceof Error ? err.message : String(err) }, 'attachment upload failed');
                })
                .finally(done);
            });
          }),
        );
      });
      bb.on('filesLimit', () => {
        failure ??= new HttpError(413, 'too_many_attachments', `upload at most ${MAX_FILES_PER_UPLOAD} files at once`);
      });
      bb.on('error', (err: Error) => reject(new HttpError(400, 'invalid_request', `the upload could not be read: ${err.message}`)));
      bb.on('close', () => resolve());
      req.on('aborted', () => reject(new HttpError(400, 'invalid_request', 'the upload was interrupted')));
      req.pipe(bb);
    }).catch((err: unknown) => {
      failure ??= err instanceof HttpError ? err : new HttpError(400, 'invalid_request', 'the upload could not be read');
    });
    await Promise.all(pending);
    if (!failure && !stored.length) failure = new HttpError(400, 'invalid_request', 'no file in the field "file"');
    if (failure) {
      await this.deleteBlobs(stored.map((s) => s.key));
      throw failure;
    }
    try {
      await this.ds.transaction(async (em) => {
        // The draft may have been deleted (or sent) meanwhile: then nothing is attached.
        await this.getWith(em, e, draftId, true);
        for (const s of stored) {
          await em.query(
            `INSERT INTO webmail_draft_attachments (tenant_id, draft_id, blob_key, filename, content_type, size_bytes) VALUES ($1, $2, $3, $4, $5, $6)`,
            [e.tenantId, draftId, s.key, s.filename, s.contentType, s.size],
          );
        }
        // Concurrent uploads are checked against each other here, under the draft's lock.
        const [{ n }] = await em.query(`SELECT COALESCE(sum(size_bytes), 0)::bigint AS n FROM webmail_draft_attachments WHERE tenant_id = $1 AND draft_id = $2`, [e.tenantId, draftId]);
        if (Number(n) > this.cfg.WEBMAIL_MAX_MESSAGE_BYTES) throw tooLarge('message', stored[0].filename, this.cfg.WEBMAIL_MAX_MESSAGE_BYTES);
        await em.query(`UPDATE webmail_drafts SET updated_at = now() WHERE tenant_id = $1 AND id = $2`, [e.tenantId, draftId]);
      });
    } catch (err) {
      await this.deleteBlobs(stored.map((s) => s.key));
      throw err;
    }
    return this.get(e, draftId);
  }

  private checkSizes(fileSize: number, total: number): void {
    if (fileSize > this.cfg.WEBMAIL_MAX_ATTACHMENT_BYTES) throw tooLarge('attachment', 'an attachment', this.cfg.WEBMAIL_MAX_ATTACHMENT_BYTES);
    if (total > this.cfg.WEBMAIL_MAX_MESSAGE_BYTES) throw tooLarge('message', 'the attachments', this.cfg.WEBMAIL_MAX_MESSAGE_BYTES);
  }

  private async storeAttachment(e: Employee, draftId: string, filename: string, contentType: string, content: Readable, size: number): Promise<void> {
    const key = `${e.tenantId}/DA${randomUUID().replace(/-/g, '')}`;
    const writer = this.blobs.createWriter(key);
    try {
      await pipeline(content, writer);
      await writer.commit();
    } catch (err) {
      await writer.abort().catch(() => undefined);
      throw err;
    }
    await this.ds.query(
      `INSERT INTO webmail_draft_attachments (tenant_id, draft_id, blob_key, filename, content_type, size_bytes) VALUES ($1, $2, $3, $4, $5, $6)`,
      [e.tenantId, draftId, key, cleanFilename(filename), cleanContentType(contentType), size],
    );
  }

  private async deleteBlobs(keys: string[]): Promise<void> {
    // Best-effort: a blob left behind is unreferenced and the retention job's orphan sweep removes it.
    await Promise.all(keys.map((k) => this.blobs.delete(k).catch(() => undefined)));
  }
}

function tooLarge(what: 'attachment' | 'message', filename: string, limit: number): HttpError {
  return what === 'attachment'
    ? new HttpError(413, 'attachment_too_large', `${filename} is larger than ${megabytes(limit)}, the largest attachment allowed`, { limitBytes: limit })
    : new HttpError(413, 'message_too_large', `with ${filename} the message would be larger than ${megabytes(limit)}, the most one message may carry`, { limitBytes: limit });
}

function rowsOf<T>(res: unknown): T[] {
  // TypeORM answers DELETE/UPDATE … RETURNING with [rows, count].
  return (Array.isArray(res) && Array.isArray(res[0]) ? res[0] : res) as T[];
}
