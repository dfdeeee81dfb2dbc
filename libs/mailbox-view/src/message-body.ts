import { Readable } from 'node:stream';
import { MailParser } from 'mailparser';
import type { AddressObject, AttachmentStream, MessageText } from 'mailparser';

/** What the reading view needs from a stored message's bytes (the row already holds the rest). */
export interface MessageBody {
  html: string | null;
  text: string | null;
  replyTo: { name: string; address: string }[];
  /** Inline image parts by Content-ID (lower case, no brackets), for cid: references in the HTML. */
  inlineImages: Map<string, { contentType: string; content: Buffer }>;
}

export interface BodyLimits {
  timeoutMs: number;
  /** Keep inline images (for the HTML view); the detail view does not need them. */
  collectInlineImages: boolean;
  /** Total bytes of inline images kept; the rest are left out of the page. */
  maxInlineImageBytes: number;
}

export class UnreadableMessageError extends Error {}

const INLINE_IMAGE = /^image\/(png|gif|jpeg|jpg|webp|bmp)$/i;

function drain(att: AttachmentStream): void {
  att.content.on('data', () => undefined);
  att.content.once('end', () => att.release?.());
}

/**
 * Streams the message through MailParser: the bodies are kept, attachments
 * flow past without being buffered (except small inline images when asked).
 */
export function readMessageBody(source: Readable, limits: BodyLimits): Promise<MessageBody> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser({ skipImageLinks: true, skipTextLinks: true, skipTextToHtml: true, checksumAlgo: false });
    const inlineImages = new Map<string, { contentType: string; content: Buffer }>();
    let inlineBytes = 0;
    let text: MessageText | null = null;
    let settled = false;
    const finish = (err: Error | null, v?: MessageBody) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        source.unpipe(parser);
        source.destroy();
        parser.destroy();
        reject(err);
      } else resolve(v as MessageBody);
    };
    const timer = setTimeout(() => finish(new UnreadableMessageError(`reading the message took longer than ${limits.timeoutMs} ms`)), limits.timeoutMs);
    source.once('error', (e) => finish(e));
    parser.once('error', (e: Error) => finish(new UnreadableMessageError(e.message || 'parser error')));
    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') {
        text = data;
        return;
      }
      const att = data;
      const cid = att.contentId ? att.contentId.replace(/^<|>$/g, '').toLowerCase() : null;
      if (!limits.collectInlineImages || !cid || !INLINE_IMAGE.test(att.contentType ?? '')) return drain(att);
      const chunks: Buffer[] = [];
      let size = 0;
      att.content.on('data', (c: Buffer) => {
        size += c.length;
        if (inlineBytes + size <= limits.maxInlineImageBytes) chunks.push(c);
      });
      att.content.once('end', () => {
        if (inlineBytes + size <= limits.maxInlineImageBytes && !inlineImages.has(cid)) {
          inlineImages.set(cid, { contentType: att.contentType.toLowerCase(), content: Buffer.concat(chunks) });
          inlineBytes += size;
        }
        att.release?.();
      });
    });
    parser.once('end', () => {
      const t = text as MessageText | null;
      const replyTo = addresses(parser.replyTo as AddressObject | undefined);
      finish(null, {
        html: typeof t?.html === 'string' && t.html.trim() ? t.html : null,
        text: typeof t?.text === 'string' ? t.text : null,
        replyTo,
        inlineImages,
      });
    });
    source.pipe(parser);
  });
}

function addresses(obj: AddressObject | AddressObject[] | undefined): { name: string; address: string }[] {
  const out: { name: string; address: string }[] = [];
  const walk = (list: AddressObject['value']) => {
    for (const a of list) {
      if (a.group) walk(a.group);
      else if (a.address) out.push({ name: (a.name ?? '').slice(0, 200), address: a.address.slice(0, 320) });
    }
  };
  for (const o of Array.isArray(obj) ? obj : obj ? [obj] : []) walk(o.value);
  return out.slice(0, 50);
}

export interface AttachmentPart {
  filename: string | null;
  contentType: string;
  content: Readable;
  /** Call when done (or abandoning): stops reading the rest of the message. */
  close(): void;
}

/**
 * The attachment at `index` (in the order the indexer listed them), as a
 * stream; null when the message has fewer. Earlier attachments flow past
 * unbuffered.
 */
export function openAttachment(source: Readable, index: number, timeoutMs: number): Promise<AttachmentPart | null> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser({ skipImageLinks: true, skipTextLinks: true, skipTextToHtml: true, skipHtmlToText: true, checksumAlgo: false });
    let seen = 0;
    let settled = false;
    const close = () => {
      source.unpipe(parser);
      source.destroy();
      parser.destroy();
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      close();
      reject(new UnreadableMessageError(`finding the attachment took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    const settle = (err: Error | null, v?: AttachmentPart | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        close();
        reject(err);
      } else resolve(v ?? null);
    };
    source.once('error', (e) => settle(e));
    parser.once('error', (e: Error) => settle(new UnreadableMessageError(e.message || 'parser error')));
    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') return;
      const att = data;
      if (settled || seen++ !== index) return drain(att);
      att.content.once('end', () => {
        att.release?.();
        close();
      });
      settle(null, { filename: att.filename ?? null, contentType: att.contentType, content: att.content as unknown as Readable, close });
    });
    parser.once('end', () => settle(null, null));
    source.pipe(parser);
  });
}
