/**
 * The pure decisions of writing mail: who a reply goes to, its subject, the
 * quoted text, the HTML alternative, and whether an address is one we can
 * send to. No I/O, so each rule is tested on its own.
 */

export interface Recipient {
  name?: string;
  address: string;
}

export type ComposeMode = 'new' | 'reply' | 'replyAll' | 'forward';
export type Language = 'en' | 'de';

const MAX_ADDRESS = 254;
const MAX_LOCAL = 64;
/** No spaces, brackets, quotes or separators: what a user types into a recipient field, not full RFC 5322. */
const LOCAL_RE = /^[^\s@<>()[\]\\,;:"]+$/u;
const LABEL_RE = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u;

/** Whether `address` is a deliverable mailbox address (local@domain with a dotted domain; IDN allowed). */
export function isValidAddress(address: string): boolean {
  if (typeof address !== 'string' || address.length > MAX_ADDRESS) return false;
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return false;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > MAX_LOCAL || !LOCAL_RE.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  if (!labels.every((l) => LABEL_RE.test(l))) return false;
  // a top-level label of digits only is an IP address, not a domain
  return !/^\d+$/.test(labels[labels.length - 1]);
}

/** Lower-cased domain, case kept in the local part (RFC 5321: only the receiving host may fold it). */
export function canonicalAddress(address: string): string {
  const a = address.trim();
  const at = a.lastIndexOf('@');
  return at < 0 ? a : `${a.slice(0, at)}@${a.slice(at + 1).toLowerCase()}`;
}

/** Display names lose line breaks and control characters (they end up in a header). */
export function cleanName(name: string | null | undefined): string | undefined {
  const n = (name ?? '').replace(/[\x00-\x1f\x7f]/g, ' ').replace(/\s+/g, ' ').trim();
  return n ? n.slice(0, 200) : undefined;
}

const REPLY_PREFIX = /^\s*(re|aw|antw|sv|vs)\s*(\[\d+\])?\s*:/i;
const FORWARD_PREFIX = /^\s*(fwd?|wg|tr|vs|enc)\s*(\[\d+\])?\s*:/i;

/** "Re: …" / "Fwd: …", not stacked on a subject that already has the prefix (English or German). */
export function prefixedSubject(subject: string | null | undefined, mode: 'reply' | 'replyAll' | 'forward'): string {
  const s = (subject ?? '').trim();
  if (mode === 'forward') return FORWARD_PREFIX.test(s) ? s : `Fwd: ${s}`.trimEnd();
  return REPLY_PREFIX.test(s) ? s : `Re: ${s}`.trimEnd();
}

export interface OriginalForReply {
  from: Recipient[];
  replyTo: Recipient[];
  to: Recipient[];
  cc: Recipient[];
}

function dedupe(list: Recipient[], exclude: Set<string>): Recipient[] {
  const out: Recipient[] = [];
  for (const r of list) {
    if (!r.address || !isValidAddress(r.address)) continue;
    const key = r.address.toLowerCase();
    if (exclude.has(key)) continue;
    exclude.add(key);
    out.push(r.name ? { name: r.name, address: r.address } : { address: r.address });
  }
  return out;
}

/**
 * Recipients of a reply. Reply: the Reply-To, else the sender. Reply all:
 * those, plus everyone in To and Cc, in Cc — never the employee's own
 * addresses (`self`: the mailbox replied from, and the sender chosen). A
 * reply to one's own message (from Sent) goes to its recipients.
 */
export function replyRecipients(o: OriginalForReply, mode: 'reply' | 'replyAll', self: string[]): { to: Recipient[]; cc: Recipient[] } {
  const selfSet = new Set(self.map((a) => a.toLowerCase()));
  const fromSelf = o.from.some((f) => selfSet.has(f.address.toLowerCase()));
  const primary = fromSelf ? o.to : o.replyTo.length ? o.replyTo : o.from;
  const seen = new Set(selfSet);
  const to = dedupe(primary, seen);
  if (mode === 'reply') return { to, cc: [] };
  const cc = dedupe(fromSelf ? o.cc : [...o.to, ...o.cc], seen);
  return { to, cc };
}

const DATE_LOCALE: Record<Language, string> = { en: 'en-GB', de: 'de-DE' };

/** A date as people read it in the tenant's language, in UTC (the tenant's time zone is not known). */
export function humanDate(d: Date, language: Language): string {
  const f = new Intl.DateTimeFormat(DATE_LOCALE[language], { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC', hour12: false });
  return `${f.format(d)} UTC`;
}

export function formatRecipient(r: Recipient): string {
  return r.name ? `${r.name} <${r.address}>` : r.address;
}

/**
 * How much of the original a reply or forward quotes. A draft travels as one
 * JSON body; quoting a whole long thread would make it too big to save on a
 * phone connection, and nobody scrolls that far. The forward keeps the
 * original's attachments whole.
 */
export const MAX_QUOTED_CHARS = 100_000;

/** The text cut at MAX_QUOTED_CHARS, at a line end, with a note of the cut in the reader's language. */
export function shortenQuoted(text: string, language: Language): string {
  if (text.length <= MAX_QUOTED_CHARS) return text;
  const cut = text.lastIndexOf('\n', MAX_QUOTED_CHARS);
  const kept = text.slice(0, cut > MAX_QUOTED_CHARS / 2 ? cut : MAX_QUOTED_CHARS);
  return `${kept}\n${language === 'de' ? '[… der Rest der ursprünglichen Nachricht ist hier gekürzt]' : '[… the rest of the original message is shortened here]'}`;
}

/** "On <date>, <name> wrote:" then the original, each line quoted with "> ". */
export function quotedReply(text: string, original: { date: Date | null; from: Recipient | null }, language: Language): string {
  const who = original.from ? formatRecipient(original.from) : language === 'de' ? 'Unbekannt' : 'unknown sender';
  const head = original.date
    ? language === 'de'
      ? `Am ${humanDate(original.date, language)} schrieb ${who}:`
      : `On ${humanDate(original.date, language)}, ${who} wrote:`
    : language === 'de'
      ? `${who} schrieb:`
      : `${who} wrote:`;
  const body = shortenQuoted(normaliseNewlines(text).replace(/\n+$/, ''), language);
  const quoted = body.split('\n').map((l) => (l.startsWith('>') ? `>${l}` : `> ${l}`).trimEnd());
  return `\n\n${head}\n${quoted.join('\n')}\n`;
}

/** The forwarded message's header block and text, as mail clients write it. */
export function forwardedText(text: string, original: { date: Date | null; from: Recipient[]; to: Recipient[]; cc: Recipient[]; subject: string | null }, language: Language): string {
  const L = language === 'de'
    ? { title: '---------- Weitergeleitete Nachricht ----------', from: 'Von', date: 'Datum', subject: 'Betreff', to: 'An', cc: 'Cc' }
    : { title: '---------- Forwarded message ----------', from: 'From', date: 'Date', subject: 'Subject', to: 'To', cc: 'Cc' };
  const lines = [L.title, `${L.from}: ${original.from.map(formatRecipient).join(', ')}`];
  if (original.date) lines.push(`${L.date}: ${humanDate(original.date, language)}`);
  lines.push(`${L.subject}: ${original.subject ?? ''}`);
  if (original.to.length) lines.push(`${L.to}: ${original.to.map(formatRecipient).join(', ')}`);
  if (original.cc.length) lines.push(`${L.cc}: ${original.cc.map(formatRecipient).join(', ')}`);
  return `\n\n${lines.join('\n')}\n\n${shortenQuoted(normaliseNewlines(text).replace(/\n+$/, ''), language)}\n`;
}

export function normaliseNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * A simple HTML alternative of the plain text: escaped, quoted lines as
 * blockquotes, line breaks kept. Nothing the user typed becomes markup.
 */
export function textToHtml(text: string): string {
  const lines = normaliseNewlines(text).split('\n');
  const out: string[] = [];
  let depth = 0;
  for (const line of lines) {
    const m = /^((?:> ?)*)(.*)$/.exec(line)!;
    const d = (m[1].match(/>/g) ?? []).length;
    while (depth < d) {
      out.push('<blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">');
      depth++;
    }
    while (depth > d) {
      out.push('</blockquote>');
      depth--;
    }
    out.push(`${escapeHtml(m[2])}<br>`);
  }
  while (depth-- > 0) out.push('</blockquote>');
  return `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div style="font-family:sans-serif;white-space:pre-wrap">${out.join('\n')}</div></body></html>`;
}

/** Message-IDs of the References header of a reply: the original's, then the original itself, bounded like the indexer. */
export function replyReferences(originalReferences: string[], originalMessageId: string | null, max = 100): string[] {
  const ids = [...originalReferences];
  if (originalMessageId && !ids.includes(originalMessageId)) ids.push(originalMessageId);
  return ids.length <= max ? ids : [ids[0], ...ids.slice(ids.length - (max - 1))];
}

/** A file name safe in a header and on a disk: no path, no control characters, bounded. */
export function cleanFilename(name: string | null | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const n = base.replace(/[\x00-\x1f\x7f]/g, '').trim().slice(0, 200);
  return n && n !== '.' && n !== '..' ? n : 'attachment';
}

const CONTENT_TYPE_RE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

export function cleanContentType(type: string | null | undefined): string {
  const t = (type ?? '').split(';')[0].trim().toLowerCase();
  return CONTENT_TYPE_RE.test(t) ? t : 'application/octet-stream';
}

/** "25 MB" for a limit in bytes, in messages people read. */
export function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}
