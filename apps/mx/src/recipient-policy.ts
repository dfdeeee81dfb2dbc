import { SmtpReplies, SmtpReplyError } from '@app/smtp';
import { normalizeDomainName } from '@app/tenants/domain-verification';
import type { DomainTenant, RecipientTarget } from '@app/mailboxes/recipient-directory.service';

/**
 * Recipient and sender policy of the MX as small named checks, each saying why
 * it refused (Haraka's rcpt_to.* plugins are the model). Pure: the lookups
 * happen in RecipientResolver, which feeds their results in here.
 *
 * smtp-server parses the envelope before we see it (see
 * node_modules/smtp-server/dist/cjs/smtp-connection.js, _parseAddressCommand):
 * it requires exactly one `@` (so `"a@b"@ours` and `a@b@ours` are a 501),
 * refuses leading/trailing/double dots in the local part and a trailing dot in
 * the domain, refuses control and invisible characters, accepts IP literals,
 * turns punycode domains into Unicode, and strips an RFC 5321 source route
 * (`<@relay:user@ours>` arrives as `user@ours`, so the relay is never used).
 * The checks below do not rely on any of that: each form is refused here too.
 */

export type RejectReason =
  | 'bad_address'
  | 'relay_trick'
  | 'relay_denied'
  | 'unknown_mailbox'
  | 'too_many_recipients'
  | 'too_many_sessions'
  | 'bad_sender'
  | 'message_too_big'
  | 'temporary_failure'
  | 'callout_unavailable'
  | 'shutting_down'
  | 'sender_not_permitted'
  | 'tls_required'
  | 'rate_limited'
  | 'auth_failed'
  | 'dmarc_reject';

export interface Refusal {
  reason: RejectReason;
  /** The named check that refused, for the log. */
  check: string;
  reply: SmtpReplyError;
}

export interface RecipientAddress {
  /** The local part as the client wrote it (passed on to Exchange unchanged). */
  local: string;
  /** Canonical domain: lower-case ASCII (IDNs as xn--), no trailing dot. */
  domain: string;
  /** `local@domain` with the local part as written: what deliveries carry. */
  address: string;
  /** Lower-case `local@domain`: what the directory and the session compare. */
  key: string;
}

const relayTrick = (check: string, what: string): Refusal => ({
  reason: 'relay_trick',
  check,
  reply: new SmtpReplyError(550, '5.7.1', `Relaying denied: ${what} not accepted here`),
});
const badSyntax = (check: string, why: string): Refusal => ({ reason: 'bad_address', check, reply: SmtpReplies.badAddress(why) });

type AddressCheck = (local: string, domain: string, raw: string) => Refusal | null;

/** `postmaster` without a domain names no tenant. */
export const missingDomain: AddressCheck = (_l, _d, raw) => (raw.includes('@') ? null : { reason: 'relay_denied', check: 'missing_domain', reply: SmtpReplies.relayDenied() });

/** `@relay:user@ours` and `@a,@b:user@ours`: RFC 5321 source routes. */
export const sourceRoute: AddressCheck = (local) => (local.startsWith('@') || local.includes(':') ? relayTrick('source_route', 'source routes are') : null);

/** `"user@other"@ours`, `"user"@ours`: quoting can hide routing characters. */
export const quotedLocalPart: AddressCheck = (local, _d, raw) => (local.includes('"') || raw.startsWith('"') ? relayTrick('quoted_local_part', 'quoted local parts are') : null);

/** `user@other@ours`: a second `@` is a routing attempt. */
export const extraAt: AddressCheck = (local) => (local.includes('@') ? relayTrick('extra_at', 'addresses with more than one @ are') : null);

/** `user%other@ours`: the percent hack (Sendmail relayed these to `other`). */
export const percentHack: AddressCheck = (local) => (local.includes('%') ? relayTrick('percent_hack', 'the % routing hack is') : null);

/** `other!user@ours`: UUCP bang paths. */
export const bangPath: AddressCheck = (local) => (local.includes('!') ? relayTrick('bang_path', 'bang paths are') : null);

/** `user@[192.0.2.1]`: we accept only for named, verified domains. */
export const ipLiteral: AddressCheck = (_l, domain) => (domain.startsWith('[') || /^[0-9.]+$/.test(domain) || domain.includes(':') ? relayTrick('ip_literal', 'IP address literals are') : null);

/** `user.@ours`, `user@ours.`: a trailing dot is malformed (and `ours.` would dodge an exact match). */
export const trailingDot: AddressCheck = (local, domain) => (local.endsWith('.') || domain.endsWith('.') ? badSyntax('trailing_dot', 'trailing dot') : null);

/** Empty or otherwise malformed local parts. */
export const localPartSyntax: AddressCheck = (local) => {
  if (!local) return badSyntax('local_part_syntax', 'empty local part');
  if (local.length > 64 * 4) return badSyntax('local_part_syntax', 'local part too long');
  if (local.startsWith('.') || local.includes('..')) return badSyntax('local_part_syntax', 'misplaced dot');
  if (/[\x00-\x20\x7f<>()[\]\\,;:]/.test(local)) return badSyntax('local_part_syntax', 'invalid character in local part');
  return null;
};

/** The order matters only for which reason is reported; any one refusal refuses. */
export const RECIPIENT_CHECKS: ReadonlyArray<AddressCheck> = [missingDomain, sourceRoute, quotedLocalPart, extraAt, percentHack, bangPath, ipLiteral, trailingDot, localPartSyntax];

/** Splits, checks and canonicalises an RCPT TO address as smtp-server handed it over. */
export function parseRecipient(raw: string): { ok: true; value: RecipientAddress } | { ok: false; refusal: Refusal } {
  const at = raw.lastIndexOf('@');
  const local = at >= 0 ? raw.slice(0, at) : raw;
  const domainRaw = at >= 0 ? raw.slice(at + 1) : '';
  for (const check of RECIPIENT_CHECKS) {
    const refusal = check(local, domainRaw, raw);
    if (refusal) return { ok: false, refusal };
  }
  const d = normalizeDomainName(domainRaw);
  if (!d.ok) return { ok: false, refusal: badSyntax('domain_syntax', `domain ${d.reason}`) };
  const address = `${local}@${d.name}`;
  return { ok: true, value: { local, domain: d.name, address, key: `${local.toLowerCase()}@${d.name}` } };
}

/** MAIL FROM: `<>` (the null sender, '') is allowed; otherwise one local part, one domain. */
export function checkSender(raw: string): Refusal | null {
  if (raw === '') return null;
  const at = raw.lastIndexOf('@');
  if (at <= 0 || at === raw.length - 1 || raw.length > 320 || /[\x00-\x20\x7f<>]/.test(raw)) {
    return { reason: 'bad_sender', check: 'sender_syntax', reply: SmtpReplies.badSender('expected local@domain or <>') };
  }
  return null;
}

/** Unknown domain and a tenant's domain that is not verified look the same from outside: no relay. */
export function checkDomain(tenant: DomainTenant | null): Refusal | null {
  return tenant ? null : { reason: 'relay_denied', check: 'domain_not_ours', reply: SmtpReplies.relayDenied() };
}

/** More recipients than one transaction may carry: 452 tells the client to send the rest in another. */
export function checkRecipientCount(alreadyAccepted: number, max: number, isRepeat: boolean): Refusal | null {
  return !isRepeat && alreadyAccepted >= max ? { reason: 'too_many_recipients', check: 'max_recipients', reply: SmtpReplies.tooManyRecipients() } : null;
}

export function checkSessionsPerIp(openFromIp: number, max: number): Refusal | null {
  return openFromIp >= max ? { reason: 'too_many_sessions', check: 'max_sessions_per_ip', reply: SmtpReplies.tooManySessions() } : null;
}

export type CalloutOutcome = 'accepted' | 'refused' | 'unavailable';

export type RecipientDecision = { accept: true; mailboxIds: string[]; passthrough: boolean } | { accept: false; refusal: Refusal } | { callout: true };

/** A known address is accepted; an unknown one is refused, or verified upstream first for pass-through tenants. */
export function decideRecipient(address: RecipientAddress, tenant: DomainTenant, target: RecipientTarget | null): RecipientDecision {
  if (target) return { accept: true, mailboxIds: target.mailboxIds, passthrough: false };
  if (tenant.unknownRecipientPolicy === 'passthrough') return { callout: true };
  return { accept: false, refusal: { reason: 'unknown_mailbox', check: 'unknown_mailbox', reply: SmtpReplies.unknownMailbox(address.address) } };
}

/** What the upstream's answer to our RCPT means for the client's RCPT. */
export function decideFromCallout(address: RecipientAddress, outcome: CalloutOutcome): RecipientDecision {
  if (outcome === 'accepted') return { accept: true, mailboxIds: [], passthrough: true };
  if (outcome === 'refused') return { accept: false, refusal: { reason: 'unknown_mailbox', check: 'callout_refused', reply: SmtpReplies.unknownMailbox(address.address) } };
  return { accept: false, refusal: { reason: 'callout_unavailable', check: 'callout_unavailable', reply: SmtpReplies.calloutUnavailable() } };
}

/** An upstream reply code to a callout RCPT: 2xx yes, 5xx no, anything else we cannot tell now. */
export function classifyCalloutReply(code: number): CalloutOutcome {
  if (code >= 200 && code < 300) return 'accepted';
  if (code >= 500 && code < 600) return 'refused';
  return 'unavailable';
}
