const EARLIEST = Date.UTC(1980, 0, 1);
const MAX_AHEAD_MS = 24 * 3600 * 1000;

/**
 * The Date header is the sender's claim. A missing, invalid, prehistoric or
 * future date (spam that wants to stay on top of the inbox) is dropped, so
 * the webmail sorts and shows that message by its arrival time instead.
 */
export function saneHeaderDate(date: Date | null | undefined, receivedAt: Date): Date | null {
  if (!(date instanceof Date)) return null;
  const t = date.getTime();
  if (!Number.isFinite(t)) return null;
  if (t < EARLIEST) return null;
  if (t > receivedAt.getTime() + MAX_AHEAD_MS) return null;
  return date;
}

/**
 * Reads a raw Date header ourselves: MailParser substitutes the current time
 * for a date it cannot read, which would make junk look fresh.
 */
export function parseHeaderDate(raw: string | null | undefined): Date | null {
  if (!raw) return null;
  // RFC 5322 allows comments such as "(CET)"; V8 does not.
  const v = raw.replace(/\([^()]*\)/g, ' ').replace(/\s+/g, ' ').trim();
  if (!v || v.length > 200) return null;
  const d = new Date(v);
  return Number.isFinite(d.getTime()) ? d : null;
}
