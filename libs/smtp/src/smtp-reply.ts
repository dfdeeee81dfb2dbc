/**
 * An SMTP refusal with its basic and enhanced status codes (RFC 3463), e.g.
 * `new SmtpReplyError(550, '5.1.1', 'mailbox unknown')`. smtp-server sends
 * `responseCode` and the message; the enhanced code is written into the text
 * because smtp-server's own derivation picks the wrong ones for our cases.
 */
export class SmtpReplyError extends Error {
  readonly responseCode: number;
  constructor(readonly code: number, readonly enhanced: string, readonly text: string) {
    super(`${enhanced} ${text}`);
    this.responseCode = code;
    if (!/^[245]\.\d{1,3}\.\d{1,3}$/.test(enhanced) || String(code)[0] !== enhanced[0]) {
      throw new Error(`inconsistent SMTP reply ${code} ${enhanced}`);
    }
  }
  get isTemporary(): boolean {
    return this.code >= 400 && this.code < 500;
  }
  override toString(): string {
    return `${this.code} ${this.enhanced} ${this.text}`;
  }
}

export const SmtpReplies = {
  relayDenied: () => new SmtpReplyError(550, '5.7.1', 'Relaying denied: we do not accept mail for that domain'),
  unknownMailbox: (addr: string) => new SmtpReplyError(550, '5.1.1', `<${addr}>: Recipient address rejected: no such mailbox here`),
  badAddress: (why: string) => new SmtpReplyError(501, '5.1.3', `Bad recipient address syntax: ${why}`),
  badSender: (why: string) => new SmtpReplyError(501, '5.1.7', `Bad sender address syntax: ${why}`),
  tooManyRecipients: () => new SmtpReplyError(452, '4.5.3', 'Too many recipients in this transaction; send the rest in another'),
  tooManySessions: () => new SmtpReplyError(421, '4.7.0', 'Too many connections from your address; try again later'),
  messageTooBig: (limit: number) => new SmtpReplyError(552, '5.3.4', `Message size exceeds the fixed limit of ${limit} bytes`),
  temporaryFailure: () => new SmtpReplyError(451, '4.3.0', 'Temporary local problem; please try again later'),
  calloutUnavailable: () => new SmtpReplyError(451, '4.4.3', 'Cannot verify recipient with the destination right now; try again later'),
  dmarcReject: (domain: string) =>
    new SmtpReplyError(550, '5.7.1', `Message rejected: it fails the DMARC policy of ${domain} (neither SPF nor DKIM authenticates the From domain), which asks receivers to reject it`),
} as const;

export interface ParsedReply { code: number; enhanced: string | null; text: string }

/** Splits a reply line such as `550 5.1.1 <x@y>: unknown` into its parts. */
export function parseReply(line: string | undefined | null): ParsedReply | null {
  if (!line) return null;
  const m = /^\s*([2-5]\d\d)[ -]?(?:([2-5]\.\d{1,3}\.\d{1,3})\s*)?([\s\S]*)$/.exec(line);
  if (!m) return null;
  return { code: Number(m[1]), enhanced: m[2] ?? null, text: m[3].trim() };
}
