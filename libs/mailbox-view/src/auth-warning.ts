import type { AuthSummary } from '@app/mail-auth';

export type AuthWarningCode = 'dmarc_fail' | 'dkim_fail' | 'spf_fail';

export interface AuthView {
  spf: string;
  dkim: string;
  dmarc: string;
  fromDomain: string | null;
  /** Why the reader should doubt the sender, or null when nothing failed. */
  warningCode: AuthWarningCode | null;
  warning: string | null;
}

/**
 * What the reader is told about a message's authentication. Only a failure
 * warns: 'none' (nothing published) and temporary errors are the normal state
 * of much legitimate mail and would teach readers to ignore the banner.
 * DMARC speaks for the From domain, so it wins over SPF and DKIM.
 */
export function authView(summary: AuthSummary | null | undefined): AuthView | null {
  if (!summary || typeof summary !== 'object') return null;
  const domain = typeof summary.fromDomain === 'string' && summary.fromDomain ? summary.fromDomain : null;
  const who = domain ? `the sender's domain ${domain}` : 'the sender';
  let warningCode: AuthWarningCode | null = null;
  let warning: string | null = null;
  if (summary.dmarc === 'fail') {
    warningCode = 'dmarc_fail';
    warning = `This message failed DMARC: it may not come from ${who}. Be careful with links, attachments and requests for payment or passwords.`;
  } else if (summary.dkim === 'fail') {
    warningCode = 'dkim_fail';
    warning = `This message's DKIM signature did not verify: it may have been altered or may not come from ${who}.`;
  } else if (summary.spf === 'fail' || summary.spf === 'softfail') {
    warningCode = 'spf_fail';
    warning = `This message was sent from a server that ${domain ? domain : 'the sender'} does not list as its own (SPF ${summary.spf}): it may not come from ${who}.`;
  }
  return { spf: String(summary.spf ?? 'none'), dkim: String(summary.dkim ?? 'none'), dmarc: String(summary.dmarc ?? 'none'), fromDomain: domain, warningCode, warning };
}
