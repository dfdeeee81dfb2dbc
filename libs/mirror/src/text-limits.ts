/**
 * Postgres refuses NUL in text and `\u0000` in jsonb, and hostile mail carries
 * both; every string taken from a message passes through here before it is stored.
 */
// eslint-disable-next-line no-control-regex
const NUL_RE = /\u0000/g;
// C0 controls other than tab, LF and CR, and DEL: meaningless in display text.
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

export function stripNul(value: string): string {
  return value.includes('\u0000') ? value.replace(NUL_RE, '') : value;
}

/** A single-line display value (subject, name): no NUL, no controls, no line breaks, bounded. */
export function cleanLine(value: string | null | undefined, maxChars: number): string | null {
  if (value == null) return null;
  const v = truncateChars(stripNul(value).replace(CONTROL_RE, ' ').replace(/[\r\n\t]+/g, ' ').trim(), maxChars);
  return v;
}

/** Cuts to at most `maxChars` UTF-16 units without leaving half a surrogate pair. */
export function truncateChars(value: string, maxChars: number): string {
  if (value.length <= maxChars) return value;
  let end = maxChars;
  const code = value.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return value.slice(0, end);
}

/** Cuts to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(value: string, maxBytes: number): string {
  if (value.length * 3 <= maxBytes) return value;
  const buf = Buffer.from(value, 'utf8');
  if (buf.length <= maxBytes) return value;
  let end = maxBytes;
  // step back over continuation bytes (10xxxxxx) to the start of a character
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/** Text for full-text search and the webmail's plain view: NUL and stray controls removed, bounded. */
export function cleanBodyText(value: string, maxBytes: number): string {
  return truncateUtf8(stripNul(value).replace(CONTROL_RE, ' '), maxBytes);
}
