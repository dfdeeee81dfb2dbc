import { isIPv6 } from 'node:net';

export interface ReceivedHeaderInput {
  /** What the client said in HELO/EHLO; untrusted. */
  helo: string | null | undefined;
  clientAddress: string;
  /** Our host name, MX_HOSTNAME. */
  by: string;
  /** `ESMTP`, `ESMTPS`, `ESMTPSA`, `SMTP`… as smtp-server reports the session. */
  protocol: string;
  smtputf8?: boolean;
  /** e.g. `TLSv1.3:TLS_AES_256_GCM_SHA384`, written as a comment. */
  tls?: string | null;
  queueId: string;
  /** Named only when the message has exactly one recipient (RFC 5321 §4.4: naming several would disclose Bcc). */
  recipient?: string | null;
  date: Date;
}

/** Keeps only printable ASCII, so a hostile HELO cannot inject header lines or break the field. */
function printable(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '').replace(/[()\\;]/g, '');
  return clean.slice(0, max);
}

/** A recipient in `for <…>`: no CR/LF/control bytes or angle brackets; UTF-8 is kept for SMTPUTF8 sessions. */
function safeAddress(value: string): string {
  return value.replace(/[\x00-\x20\x7f<>]/g, '').slice(0, 320);
}

/** RFC 5322 date-time in UTC: `Tue, 25 Nov 2026 16:41:37 +0000`. */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

export function addressLiteral(ip: string): string {
  const bare = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  return isIPv6(bare) ? `[IPv6:${bare}]` : `[${bare}]`;
}

/**
 * The trace header we prepend (RFC 5321 §4.4), ending in CRLF and folded so
 * no line exceeds 78 characters in the usual case:
 *
 *   Received: from client.example ([192.0.2.1])
 *   	by mx.example with ESMTPS (TLSv1.3:TLS_AES_256_GCM_SHA384) id 0QX…
 *   	for <user@example.com>; Tue, 25 Nov 2026 16:41:37 +0000
 */
export function buildReceivedHeader(input: ReceivedHeaderInput): string {
  const helo = printable(input.helo ?? '', 255) || 'unknown';
  let protocol = printable(input.protocol || 'ESMTP', 16) || 'ESMTP';
  // RFC 6531 §3.7.3: a session that used SMTPUTF8 is recorded as UTF8SMTP(S)(A).
  if (input.smtputf8 && /^ESMTP/.test(protocol)) protocol = protocol.replace(/^ESMTP/, 'UTF8SMTP');
  const tls = input.tls ? ` (${printable(input.tls, 100)})` : '';
  const lines = [
    `Received: from ${helo} (${addressLiteral(input.clientAddress)})`,
    `\tby ${printable(input.by, 255)} with ${protocol}${tls} id ${printable(input.queueId, 64)}`,
  ];
  const date = rfc5322Date(input.date);
  if (input.recipient) lines.push(`\tfor <${safeAddress(input.recipient)}>; ${date}`);
  else lines[lines.length - 1] += `; ${date}`;
  return lines.join('\r\n') + '\r\n';
}
