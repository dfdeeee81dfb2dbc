import { isUsableEnvelope, JournalEnvelope, parseJournalEnvelope } from './journal-envelope';

/**
 * Takes an Exchange envelope journal report apart while it streams past:
 *
 *   multipart/mixed (the report, from the journaling mailbox)
 *     text/plain        the envelope lines (see journal-envelope.ts)
 *     message/rfc822    the original message, byte for byte
 *
 * The original is written to `sink` as it is read (its size is bounded only
 * by the report's, which the MX already limits); headers and the envelope
 * part are read into bounded buffers. Nothing is trusted: a report that does
 * not have this shape yields `ok: false` with a reason, and the caller keeps
 * the report whole.
 */
export type JournalReportResult =
  | { ok: true; envelope: JournalEnvelope; originalBytes: number }
  | { ok: false; reason: string; envelope: JournalEnvelope | null };

export interface JournalReportLimits {
  maxHeaderBytes: number;
  maxEnvelopeBytes: number;
}

const DEFAULT_LIMITS: JournalReportLimits = { maxHeaderBytes: 256 * 1024, maxEnvelopeBytes: 1024 * 1024 };

class NotAReport extends Error {}

interface PartHeader {
  contentType: string;
  params: Record<string, string>;
  encoding: string;
}

/** `Content-Type: multipart/mixed; boundary="x"` → type and parameters (RFC 2045/2231 simple forms). */
export function parseHeaderBlock(block: string): PartHeader {
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  let contentType = 'text/plain';
  let params: Record<string, string> = {};
  let encoding = '7bit';
  for (const line of unfolded.split(/\r?\n/)) {
    const m = /^([^:\s]+)[ \t]*:[ \t]*(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1].toLowerCase();
    if (name === 'content-type') {
      const [type, ...rest] = m[2].split(';');
      contentType = type.trim().toLowerCase() || 'text/plain';
      params = {};
      for (const p of rest) {
        const pm = /^\s*([^=\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]*))/.exec(p);
        if (pm) params[pm[1].toLowerCase()] = pm[2] !== undefined ? pm[2].replace(/\\(.)/g, '$1') : pm[3];
      }
    } else if (name === 'content-transfer-encoding') {
      encoding = m[2].trim().toLowerCase();
    }
  }
  return { contentType, params, encoding };
}

function decodeQuotedPrintable(s: string): Buffer {
  const soft = s.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      out.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(soft.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

function decodeText(raw: Buffer, encoding: string, charset: string | undefined): string {
  const bytes = encoding === 'base64' ? Buffer.from(raw.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64') : encoding === 'quoted-printable' ? decodeQuotedPrintable(raw.toString('latin1')) : raw;
  try {
    return new TextDecoder((charset ?? 'utf-8').toLowerCase(), { fatal: false }).decode(bytes);
  } catch {
    return bytes.toString('utf8'); // an unknown charset label: the envelope lines are ASCII in practice
  }
}

type State = 'header' | 'preamble' | 'part-header' | 'part-body' | 'epilogue';
type Role = 'envelope' | 'original' | 'skip';

/**
 * Reads `source` and writes the original message to `sink`. On a malformed
 * report reading stops early (the source is released); whatever reached the
 * sink by then is to be discarded by the caller.
 */
export async function readJournalReport(source: AsyncIterable<Buffer | string>, sink: (chunk: Buffer) => Promise<void>, limits: JournalReportLimits = DEFAULT_LIMITS): Promise<JournalReportResult> {
  let state = 'header' as State;
  let headerBuf: Buffer[] = [];
  let headerBytes = 0;
  let boundary = '';
  let role: Role = 'skip';
  let partHeader: PartHeader | null = null;
  let envelopeRaw: Buffer[] = [];
  let envelopeBytes = 0;
  let envelopeHeader: PartHeader | null = null;
  let envelopeDone = false;
  let originalDone = false;
  let originalBytes = 0;
  let closed = false;
  let pendingEol: Buffer | null = null; // a body line's terminator, held back until we know the next line is not a delimiter
  let base64Rest = '';
  let failure: string | null = null;
  let partial: Buffer = Buffer.alloc(0); // an unterminated line carried over between chunks
  let midLine = false; // `partial` continues a line whose start was already handled as body
  const longLine = 4096;

  const emitOriginal = async (b: Buffer) => {
    if (!b.length) return;
    if (partHeader?.encoding === 'base64') {
      const s = base64Rest + b.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
      const usable = s.length - (s.length % 4);
      base64Rest = s.slice(usable);
      if (!usable) return;
      const decoded = Buffer.from(s.slice(0, usable), 'base64');
      originalBytes += decoded.length;
      await sink(decoded);
      return;
    }
    originalBytes += b.length;
    await sink(b);
  };

  const bodyData = async (b: Buffer) => {
    if (role === 'original') await emitOriginal(b);
    else if (role === 'envelope') {
      envelopeBytes += b.length;
      if (envelopeBytes > limits.maxEnvelopeBytes) throw new NotAReport('envelope part too large');
      envelopeRaw.push(b);
    }
  };

  const endPart = async () => {
    if (role === 'original') {
      if (base64Rest) {
        const decoded = Buffer.from(base64Rest, 'base64');
        base64Rest = '';
        originalBytes += decoded.length;
        if (decoded.length) await sink(decoded);
      }
      originalDone = true;
    } else if (role === 'envelope') {
      envelopeDone = true;
    }
    role = 'skip';
    pendingEol = null;
  };

  const startPart = (h: PartHeader) => {
    partHeader = h;
    if (!envelopeDone && !envelopeHeader && h.contentType === 'text/plain') {
      role = 'envelope';
      envelopeHeader = h;
    } else if (!originalDone && h.contentType === 'message/rfc822') {
      if (!['7bit', '8bit', 'binary', 'base64'].includes(h.encoding)) throw new NotAReport(`original message in unsupported transfer encoding ${h.encoding}`);
      role = 'original';
    } else role = 'skip';
  };

  /** Is this whole line (terminator stripped) our delimiter? 'close' for the final one. */
  const delimiter = (line: Buffer): 'open' | 'close' | null => {
    if (!boundary || line.length < boundary.length + 2 || line[0] !== 0x2d || line[1] !== 0x2d) return null;
    const s = line.toString('latin1');
    if (!s.startsWith(`--${boundary}`)) return null;
    const rest = s.slice(boundary.length + 2);
    if (/^--[ \t]*$/.test(rest)) return 'close';
    if (/^[ \t]*$/.test(rest)) return 'open';
    return null;
  };

  const headerLine = (line: Buffer, eol: Buffer, max: number): string | null => {
    headerBytes += line.length + eol.length;
    if (headerBytes > max) throw new NotAReport('header too large');
    if (line.length === 0) {
      const block = Buffer.concat(headerBuf).toString('latin1');
      headerBuf = [];
      headerBytes = 0;
      return block;
    }
    headerBuf.push(line, Buffer.from('\r\n'));
    return null;
  };

  /** One complete line: `line` without its terminator `eol` (empty at the end of input). */
  const onLine = async (line: Buffer, eol: Buffer) => {
    switch (state) {
      case 'header': {
        const block = headerLine(line, eol, limits.maxHeaderBytes);
        if (block === null) return;
        const h = parseHeaderBlock(block);
        if (!h.contentType.startsWith('multipart/') || !h.params.boundary) throw new NotAReport(`report is ${h.contentType}, not multipart`);
        boundary = h.params.boundary;
        state = 'preamble';
        return;
      }
      case 'preamble':
      case 'part-body': {
        const d = delimiter(line);
        if (d) {
          if (state === 'part-body') await endPart();
          if (d === 'close') {
            closed = true;
            state = 'epilogue';
          } else state = 'part-header';
          return;
        }
        if (state === 'preamble') return;
        if (pendingEol) await bodyData(pendingEol);
        await bodyData(line);
        pendingEol = eol;
        return;
      }
      case 'part-header': {
        const block = headerLine(line, eol, limits.maxHeaderBytes);
        if (block === null) return;
        startPart(parseHeaderBlock(block));
        pendingEol = null;
        state = 'part-body';
        return;
      }
      case 'epilogue':
        return;
    }
  };

  try {
    for await (const c of source) {
      let chunk = typeof c === 'string' ? Buffer.from(c, 'latin1') : c;
      if (partial.length) {
        chunk = Buffer.concat([partial, chunk]);
        partial = Buffer.alloc(0);
      }
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl < 0) break;
        const cr = nl > start && chunk[nl - 1] === 0x0d;
        const line = chunk.subarray(start, cr ? nl - 1 : nl);
        const eol = chunk.subarray(cr ? nl - 1 : nl, nl + 1);
        if (midLine) {
          // the rest of a long body line: plain data, never a delimiter
          await bodyData(line);
          pendingEol = Buffer.from(eol);
          midLine = false;
        } else await onLine(line, Buffer.from(eol));
        start = nl + 1;
      }
      partial = Buffer.from(chunk.subarray(start));
      // A line this long cannot be a delimiter: pass it on as body data without waiting for its end.
      if (partial.length > longLine + boundary.length && state === 'part-body') {
        if (!midLine) {
          if (pendingEol) await bodyData(pendingEol);
          pendingEol = null;
        }
        const keep = partial[partial.length - 1] === 0x0d ? 1 : 0;
        await bodyData(partial.subarray(0, partial.length - keep));
        partial = Buffer.from(partial.subarray(partial.length - keep));
        midLine = true;
      } else if (partial.length > limits.maxHeaderBytes && state !== 'part-body' && state !== 'epilogue' && state !== 'preamble') {
        throw new NotAReport('header line too long');
      }
    }
    if (partial.length) {
      if (midLine) await bodyData(partial);
      else await onLine(partial, Buffer.alloc(0));
    }
  } catch (e) {
    if (!(e instanceof NotAReport)) throw e;
    failure = e.message; // leaving the loop has released (destroyed) the source
  }

  const envelope = envelopeHeader ? parseJournalEnvelope(decodeText(Buffer.concat(envelopeRaw), (envelopeHeader as PartHeader).encoding, (envelopeHeader as PartHeader).params.charset)) : null;
  if (failure) return { ok: false, reason: failure, envelope };
  if (!envelope || !isUsableEnvelope(envelope)) return { ok: false, reason: 'no envelope part with sender or recipients', envelope };
  if (!closed) return { ok: false, reason: 'report ends before its closing boundary (truncated?)', envelope };
  if (!originalDone || originalBytes === 0) return { ok: false, reason: 'no attached original message', envelope };
  return { ok: true, envelope, originalBytes };
}
