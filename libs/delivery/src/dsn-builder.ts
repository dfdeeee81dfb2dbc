/**
 * RFC 3464 delivery status notifications: a multipart/report with a text part
 * for people, a message/delivery-status part for programs, and the original
 * header section as text/rfc822-headers. Pure: the caller supplies the clock,
 * the boundary and the Message-ID.
 */
export interface DsnRecipient {
  recipient: string;
  /** 'bounced' after a permanent reply, 'expired' after the lifetime ran out. */
  reason: 'bounced' | 'expired';
  /** RFC 3463 status, 5.x.x or 4.x.x. */
  status: string;
  /** host:port of the last hop that answered, if any. */
  remoteMta: string | null;
  /** The last SMTP reply, if the failure was one (becomes `Diagnostic-Code: smtp; …`). */
  smtpDiagnostic: string | null;
  /** What went wrong in words, for the text part (and an X- field when there is no SMTP reply). */
  explanation: string;
  lastAttemptAt: Date | null;
}

export interface DsnInput {
  reportingMta: string;
  originalQueueId: string;
  originalMailFrom: string;
  arrivalDate: Date;
  recipients: DsnRecipient[];
  /** The original message's header section (everything before the first empty line). */
  originalHeaders: Buffer;
  now: Date;
  boundary: string;
  messageId: string;
}

export interface BuiltDsn {
  raw: Buffer;
  /** The original headers carried 8-bit bytes, so the DSN needs BODY=8BITMIME. */
  eightBit: boolean;
}

/** RFC 5322 date, e.g. `Tue, 25 Nov 2025 16:35:00 +0000`. */
export function rfc5322Date(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** The header section of a message (up to, not including, the first empty line), with CRLF line ends. */
export function headerSection(raw: Buffer, maxBytes = 512 * 1024): Buffer {
  const slice = raw.subarray(0, maxBytes);
  // A message that starts with an empty line has no headers at all.
  if (slice[0] === 0x0a || (slice[0] === 0x0d && slice[1] === 0x0a)) return Buffer.alloc(0);
  for (let i = 0; i < slice.length; i++) {
    if (slice[i] !== 0x0a) continue;
    const next = slice[i + 1] === 0x0d ? i + 2 : i + 1;
    if (slice[next] === 0x0a) return canonicalLineEnds(slice.subarray(0, i + 1));
  }
  return canonicalLineEnds(slice);
}

export function canonicalLineEnds(b: Buffer): Buffer {
  return Buffer.from(b.toString('latin1').replace(/\r?\n|\r/g, '\r\n'), 'latin1');
}

/** Keeps a field value on one line and free of CR/LF injected by a remote reply. */
function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/** Folds a structured field at spaces so no line exceeds 78 characters where that is possible. */
function field(name: string, value: string): string {
  const words = oneLine(value).split(' ');
  const lines: string[] = [];
  let line = `${name}:`;
  for (const w of words) {
    if (line.length + 1 + w.length > 78 && line.length > name.length + 1) {
      lines.push(line);
      line = ` ${w}`;
    } else {
      line += ` ${w}`;
    }
  }
  lines.push(line);
  return lines.join('\r\n');
}

function addrType(addr: string): string {
  // RFC 6533: addresses with UTF-8 use the utf-8 address type.
  return /[^\x00-\x7f]/.test(addr) ? 'utf-8' : 'rfc822';
}

export function buildDsn(input: DsnInput): BuiltDsn {
  const { reportingMta, recipients, boundary } = input;
  if (recipients.length === 0) throw new Error('a DSN needs at least one recipient');
  if (!input.originalMailFrom) throw new Error('no DSN is sent to the null sender');
  const crlf = '\r\n';
  const expiredOnly = recipients.every((r) => r.reason === 'expired');
  const subject = expiredOnly ? 'Undelivered Mail Returned to Sender (delivery time expired)' : 'Undelivered Mail Returned to Sender';

  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${reportingMta}>`,
    field('To', `<${input.originalMailFrom}>`),
    `Subject: ${subject}`,
    `Date: ${rfc5322Date(input.now)}`,
    `Message-ID: ${input.messageId}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;${crlf} boundary="${boundary}"`,
  ].join(crlf);

  const human = [
    `This is the mail system at host ${reportingMta}.`,
    '',
    `Your message (queue id ${input.originalQueueId}, received ${rfc5322Date(input.arrivalDate)}) could not be`,
    'delivered to one or more recipients. It is attached below (headers only).',
    '',
    ...recipients.map((r) => `<${oneLine(r.recipient)}>: ${oneLine(r.explanation)}`),
    '',
    expiredOnly ? 'We kept trying until the delivery lifetime ran out and gave up.' : 'No further attempts will be made for these recipients.',
  ].join(crlf);

  const perMessage = [
    field('Reporting-MTA', `dns; ${reportingMta}`),
    field('X-Continuity-Queue-ID', input.originalQueueId),
    field('Arrival-Date', rfc5322Date(input.arrivalDate)),
  ].join(crlf);
  const perRecipient = recipients.map((r) => {
    const lines = [field('Final-Recipient', `${addrType(r.recipient)}; ${r.recipient}`), 'Action: failed', `Status: ${r.status}`];
    if (r.remoteMta) lines.push(field('Remote-MTA', `dns; ${r.remoteMta}`));
    if (r.smtpDiagnostic) lines.push(field('Diagnostic-Code', `smtp; ${r.smtpDiagnostic}`));
    else lines.push(field('X-Continuity-Diagnostic', r.explanation));
    if (r.lastAttemptAt) lines.push(`Last-Attempt-Date: ${rfc5322Date(r.lastAttemptAt)}`);
    return lines.join(crlf);
  });

  const headers = headerSection(input.originalHeaders);
  const eightBit = headers.some((b) => b > 0x7f);
  const parts: Buffer[] = [
    Buffer.from(`${head}${crlf}${crlf}This is a MIME-encapsulated message.${crlf}${crlf}`),
    Buffer.from(`--${boundary}${crlf}Content-Type: text/plain; charset=utf-8${crlf}Content-Transfer-Encoding: 8bit${crlf}Content-Description: Notification${crlf}${crlf}${human}${crlf}${crlf}`),
    Buffer.from(`--${boundary}${crlf}Content-Type: message/delivery-status${crlf}Content-Description: Delivery report${crlf}${crlf}${perMessage}${crlf}${crlf}${perRecipient.join(crlf + crlf)}${crlf}${crlf}`),
    Buffer.from(`--${boundary}${crlf}Content-Type: text/rfc822-headers${eightBit ? `; charset=utf-8${crlf}Content-Transfer-Encoding: 8bit` : ''}${crlf}Content-Description: Undelivered message headers${crlf}${crlf}`),
    headers,
    Buffer.from(`${headers.length && !headers.subarray(-2).equals(Buffer.from(crlf)) ? crlf : ''}${crlf}--${boundary}--${crlf}`),
  ];
  // The text part names recipients; UTF-8 addresses make it 8-bit as well.
  const humanEightBit = /[^\x00-\x7f]/.test(human);
  return { raw: Buffer.concat(parts), eightBit: eightBit || humanEightBit };
}
