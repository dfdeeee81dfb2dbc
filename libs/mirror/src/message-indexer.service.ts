import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BLOB_STORE, BlobStore } from '@app/blob-store';
import { preparedQuery } from '@app/database/prepared-statement';
import { IndexMessageJob } from '@app/queues';
import { LOGGER, Logger, Metrics } from '@app/observability';
import { addressSearchText } from './addresses';
import { saneHeaderDate } from './header-date';
import { DEFAULT_PARSE_LIMITS, parseMessage, ParsedMessage, UnparseableMessageError } from './parse-message';
import { searchVectorSql } from './search-query';
import { cleanLine, truncateUtf8 } from './text-limits';

const ERROR_CHARS = 300;
/** Postgres refuses a tsvector over 1 MB; should a body's words exceed it, index this much of it instead. */
const FALLBACK_SEARCH_BODY_BYTES = 32 * 1024;
const PROGRAM_LIMIT_EXCEEDED = '54000';

/** The columns of a message row indexing reads (never the wide ones it writes). */
interface MessageToIndex {
  id: string;
  tenantId: string;
  queueId: string;
  blobKey: string;
  sizeBytes: number;
  receivedAt: Date;
  indexState: string;
}

/**
 * Fills a message's parsed metadata (from, to, cc, subject, date, ids,
 * snippet, attachments, search text) from its blob with mailparser's
 * streaming MailParser. Safe to run twice: each run overwrites the same
 * columns from the same bytes.
 *
 * Mail no parser understands is marked `unparseable` and left as it is: the
 * raw message is still delivered and the webmail shows it raw. Only a failure
 * to read the blob or to write the row is thrown, so the job is retried.
 */
@Injectable()
export class MessageIndexer {
  constructor(
    private readonly ds: DataSource,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'INDEX_TIMEOUT_MS' | 'INDEX_MAX_PARSE_BYTES'>,
  ) {}

  async index(job: IndexMessageJob): Promise<void> {
    const { rows } = await preparedQuery<MessageToIndex>(
      this.ds,
      'index-load-message',
      `SELECT id, tenant_id AS "tenantId", queue_id AS "queueId", blob_key AS "blobKey", size_bytes::float8 AS "sizeBytes", received_at AS "receivedAt", index_state AS "indexState"
         FROM messages WHERE id = $1 AND tenant_id = $2`,
      [job.messageId, job.tenantId],
    );
    const message = rows[0];
    if (!message) {
      // Retention may have removed it before its index job ran; nothing to do.
      this.logger.info({ messageId: job.messageId, tenantId: job.tenantId }, 'index skipped: message no longer exists');
      return;
    }
    const log = this.logger.child({ queueId: message.queueId, messageId: message.id, tenantId: message.tenantId });
    const headersOnly = Number(message.sizeBytes) > this.cfg.INDEX_MAX_PARSE_BYTES;

    let parsed: ParsedMessage;
    try {
      parsed = await parseMessage(this.blobs.openRead(message.blobKey), { ...DEFAULT_PARSE_LIMITS, timeoutMs: this.cfg.INDEX_TIMEOUT_MS, headersOnly });
    } catch (e) {
      if (!(e instanceof UnparseableMessageError)) throw e;
      const reason = cleanLine(e.message, ERROR_CHARS) || 'unparseable';
      await this.markUnparseable(message, reason);
      log.warn({ reason }, 'message unparseable; kept raw');
      this.observeLag(message);
      return;
    }

    await this.store(message, parsed);
    log.info({ attachments: parsed.attachments?.length ?? null, note: parsed.note }, 'message indexed');
    this.observeLag(message);
  }

  private async store(message: MessageToIndex, p: ParsedMessage): Promise<void> {
    const { names, addresses } = addressSearchText([p.from, p.to, p.cc]);
    const filenames = (p.attachments ?? []).map((a) => a.filename ?? '').join(' ');
    const params = [
      message.id,
      message.tenantId,
      JSON.stringify(p.from),
      JSON.stringify(p.to),
      JSON.stringify(p.cc),
      p.subject,
      saneHeaderDate(p.date, message.receivedAt),
      p.messageId,
      p.inReplyTo,
      p.references,
      p.snippet,
      p.attachments === null ? null : JSON.stringify(p.attachments),
      p.bodyText,
      names,
      addresses,
      filenames,
      p.note,
    ];
    const sql = (bodyForSearch: string) => `
      UPDATE messages SET
        index_state = 'indexed', index_error = $17, indexed_at = now(),
        from_addr = $3::jsonb, to_addr = $4::jsonb, cc_addr = $5::jsonb,
        subject = $6, header_date = $7, message_id_header = $8, in_reply_to = $9, references_ids = $10::text[],
        snippet = $11, attachments = $12::jsonb, body_text = $13,
        search_vector = ${searchVectorSql({ subject: '$6', names: '$14', addresses: '$15', filenames: '$16', body: bodyForSearch })}
      WHERE id = $1 AND tenant_id = $2`;
    try {
      await preparedQuery(this.ds, 'index-store-message', sql('$13'), params);
    } catch (e) {
      if ((e as { code?: string }).code !== PROGRAM_LIMIT_EXCEEDED) throw e;
      // The body's words make too large a tsvector: keep the full text, search its head.
      await this.ds.query(sql('$18'), [...params, p.bodyText ? truncateUtf8(p.bodyText, FALLBACK_SEARCH_BODY_BYTES) : null]);
    }
  }

  private async markUnparseable(message: MessageToIndex, reason: string): Promise<void> {
    await this.ds.query(
      `UPDATE messages SET
         index_state = 'unparseable', index_error = $3, indexed_at = now(),
         from_addr = NULL, to_addr = NULL, cc_addr = NULL, subject = NULL, header_date = NULL,
         message_id_header = NULL, in_reply_to = NULL, references_ids = NULL, snippet = NULL,
         attachments = NULL, body_text = NULL, search_vector = NULL
       WHERE id = $1 AND tenant_id = $2`,
      [message.id, message.tenantId, reason],
    );
  }

  /** Lag from acceptance to a finished mirror entry (indexed or known unparseable); a re-index is not lag. */
  private observeLag(message: MessageToIndex): void {
    if (message.indexState !== 'pending') return;
    this.metrics.mirrorLag.observe(Math.max(0, (Date.now() - message.receivedAt.getTime()) / 1000));
  }
}
