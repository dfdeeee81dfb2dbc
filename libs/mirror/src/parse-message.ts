import { Readable } from 'node:stream';
import { MailParser } from 'mailparser';
import type { AttachmentStream, MessageText, Headers } from 'mailparser';
import { AddressValue, AttachmentInfo } from '@app/messages';
import { normaliseAddresses, ParsedAddressHeader } from './addresses';
import { parseMessageId, parseReferences } from './message-ids';
import { parseHeaderDate } from './header-date';
import { makeSnippet, roughHtmlText } from './snippet';
import { cleanBodyText, cleanLine } from './text-limits';

/** What the indexer stores for one message, before the header date is checked against arrival. */
export interface ParsedMessage {
  from: AddressValue[];
  to: AddressValue[];
  cc: AddressValue[];
  subject: string | null;
  date: Date | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  snippet: string | null;
  attachments: AttachmentInfo[] | null;
  bodyText: string | null;
  /** Set when only part of the message could be read (headers only, body cut off); still worth indexing. */
  note: string | null;
}

export interface ParseLimits {
  timeoutMs: number;
  /** Parse only the header block (a message too big to parse whole). */
  headersOnly: boolean;
  /** Largest header block of one MIME part. */
  maxHeadBytes: number;
  /** Search text kept per message. */
  maxBodyTextBytes: number;
  /** HTML longer than this is not converted by MailParser (a slow conversion); we strip tags roughly instead. */
  maxHtmlChars: number;
  maxAttachments: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  timeoutMs: 60_000,
  headersOnly: false,
  maxHeadBytes: 2 * 1024 * 1024,
  maxBodyTextBytes: 256 * 1024,
  maxHtmlChars: 2_000_000,
  maxAttachments: 500,
};

/** The message cannot be understood: index it as unparseable, keep it raw. */
export class UnparseableMessageError extends Error {}
/** The blob could not be read: a storage problem, the job should be retried. */
export class BlobReadError extends Error {}

const SUBJECT_CHARS = 2000;
const FILENAME_CHARS = 255;

/**
 * Streams a raw message through MailParser (never buffering attachments:
 * their streams are counted and released chunk by chunk) and returns what the
 * mirror shows. Rejects with UnparseableMessageError when the parser fails,
 * times out or finds no header at all, and with BlobReadError when the source
 * stream fails.
 */
export function parseMessage(source: Readable, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Promise<ParsedMessage> {
  return new Promise<ParsedMessage>((resolve, reject) => {
    const parser = new MailParser({
      skipTextToHtml: true,
      skipImageLinks: true,
      skipTextLinks: true,
      checksumAlgo: false,
      maxHeadSize: limits.maxHeadBytes,
      maxHtmlLengthToParse: limits.maxHtmlChars,
    });
    const attachments: AttachmentInfo[] = [];
    let attachmentsDropped = 0;
    let text: MessageText | null = null;
    let headers: Headers | null = null;
    let settled = false;

    const finish = (err: Error | null, value?: ParsedMessage): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      source.unpipe(parser);
      if (err || limits.headersOnly) {
        source.destroy();
        parser.destroy();
      }
      if (err) reject(err);
      else resolve(value as ParsedMessage);
    };

    const timer = setTimeout(() => finish(new UnparseableMessageError(`parse took longer than ${limits.timeoutMs} ms`)), limits.timeoutMs);

    source.on('error', (e) => finish(new BlobReadError(`reading the message failed: ${e.message}`)));
    parser.on('error', (e: Error) => finish(new UnparseableMessageError(e.message || 'parser error')));

    parser.on('headers', (h: Headers) => {
      headers = h;
      if (limits.headersOnly) {
        finish(null, build(parser, h, null, null, 'only headers indexed: message too large to parse'));
      }
    });

    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') {
        text = data;
        return;
      }
      const att = data;
      let size = 0;
      att.content.on('data', (chunk: Buffer | string) => {
        size += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      });
      att.content.once('end', () => {
        if (attachments.length < limits.maxAttachments) {
          attachments.push({
            filename: att.filename ? cleanLine(att.filename, FILENAME_CHARS) : null,
            contentType: cleanLine(att.contentType, 255) || 'application/octet-stream',
            size,
            contentId: att.contentId ? cleanLine(att.contentId, 998) : null,
            inline: att.contentDisposition === 'inline' || att.related === true,
          });
        } else {
          attachmentsDropped++;
        }
        att.release?.();
      });
      att.content.once('error', (e: Error) => finish(new UnparseableMessageError(`attachment: ${e.message}`)));
    });

    parser.once('end', () => {
      if (!headers || headers.size === 0) {
        finish(new UnparseableMessageError('no message headers found'));
        return;
      }
      const body = bodyOf(text, limits);
      const note = attachmentsDropped ? `attachment list cut at ${limits.maxAttachments}` : null;
      finish(null, build(parser, headers, body, attachments, note));
    });

    source.pipe(parser);
  });
}

function bodyOf(text: MessageText | null, limits: ParseLimits): string | null {
  if (!text) return null;
  let body = text.text ?? '';
  // MailParser gives up converting very long HTML; fall back to a rough strip so the mail is still searchable.
  if (!body.trim() && typeof text.html === 'string' && text.html) body = roughHtmlText(text.html, limits.maxBodyTextBytes);
  const cleaned = cleanBodyText(body, limits.maxBodyTextBytes);
  return cleaned.trim() ? cleaned : null;
}

function build(parser: MailParser, headers: Headers, body: string | null, attachments: AttachmentInfo[] | null, note: string | null): ParsedMessage {
  const raw = (key: string): string | string[] | undefined => {
    const v = headers.get(key);
    return typeof v === 'string' || Array.isArray(v) ? (v as string | string[]) : undefined;
  };
  const dateLine = (parser.headerLines || []).find((l) => l.key === 'date')?.line;
  const date = parseHeaderDate(dateLine?.replace(/^[^:]*:/, ''));
  return {
    from: normaliseAddresses(parser.from as ParsedAddressHeader | undefined),
    to: normaliseAddresses(parser.to as ParsedAddressHeader | ParsedAddressHeader[] | undefined),
    cc: normaliseAddresses(parser.cc as ParsedAddressHeader | ParsedAddressHeader[] | undefined),
    subject: cleanLine(parser.subject, SUBJECT_CHARS),
    date,
    messageId: parseMessageId(raw('message-id')),
    inReplyTo: parseMessageId(raw('in-reply-to')),
    references: parseReferences(raw('references')),
    snippet: makeSnippet(body),
    attachments,
    bodyText: body,
    note,
  };
}
