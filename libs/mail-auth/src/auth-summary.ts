/**
 * The result of verifying an inbound message, in two forms: the
 * `Authentication-Results` header field (RFC 8601) prepended to the bytes
 * passed on, and a small summary on the message row that the webmail reads
 * to warn about a forged sender. Pure: built from mailauth's result object.
 */
export type AuthResultValue = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror' | 'policy' | 'skipped';

export interface AuthSummary {
  spf: AuthResultValue;
  dkim: AuthResultValue;
  dmarc: AuthResultValue;
  arc: AuthResultValue;
  /** Domain of the From header, when one was found. */
  fromDomain: string | null;
  /** Signing domains whose signature passed. */
  dkimDomains: string[];
  /** The published DMARC policy of the From domain (none, quarantine, reject), when there is one. */
  dmarcPolicy: string | null;
  /**
   * What we did about it: 'deliver' normally; 'flagged-reject' when the tenant
   * asked to reject DMARC failures under a p=reject policy (see MailAuthenticator).
   */
  action: 'deliver' | 'flagged-reject';
  /** Set when verification ran out of time. */
  timedOut?: true;
}

export interface MailauthLike {
  dkim?: { headerFrom?: string[] | string; results?: { signingDomain?: string; status?: { result?: string }; info?: string }[] };
  spf?: { status?: { result?: string }; info?: string } | false;
  dmarc?: { status?: { result?: string }; policy?: string; p?: string; info?: string } | false;
  arc?: { status?: { result?: string }; info?: string } | false;
}

const KNOWN: AuthResultValue[] = ['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror', 'policy', 'skipped'];

function value(v: string | undefined): AuthResultValue {
  if (v === 'temperr') return 'temperror';
  return KNOWN.includes(v as AuthResultValue) ? (v as AuthResultValue) : 'none';
}

/** One DKIM verdict for the message: pass when any signature passed, else the first signature's result. */
function dkimVerdict(results: { status?: { result?: string } }[]): AuthResultValue {
  if (results.some((r) => r.status?.result === 'pass')) return 'pass';
  return results.length ? value(results[0].status?.result) : 'none';
}

export function summarize(r: MailauthLike, rejectOnDmarcFail: boolean): AuthSummary {
  const results = r.dkim?.results ?? [];
  const from = r.dkim?.headerFrom;
  const fromAddress = Array.isArray(from) ? from[0] : from;
  const fromDomain = fromAddress ? (fromAddress.includes('@') ? fromAddress.slice(fromAddress.lastIndexOf('@') + 1) : fromAddress).toLowerCase() : null;
  const dmarc = r.dmarc ? value(r.dmarc.status?.result) : 'none';
  const dmarcPolicy = r.dmarc ? (r.dmarc.policy ?? r.dmarc.p ?? null) : null;
  return {
    spf: r.spf ? value(r.spf.status?.result) : 'none',
    dkim: dkimVerdict(results),
    dmarc,
    arc: r.arc ? value(r.arc.status?.result) : 'none',
    fromDomain,
    dkimDomains: [...new Set(results.filter((x) => x.status?.result === 'pass' && x.signingDomain).map((x) => (x.signingDomain as string).toLowerCase()))],
    dmarcPolicy,
    action: rejectOnDmarcFail && dmarc === 'fail' && dmarcPolicy === 'reject' ? 'flagged-reject' : 'deliver',
  };
}

/** The header field, folded, with CRLF line ends and a trailing CRLF, ready to prepend. */
export function authenticationResultsHeader(authservId: string, r: MailauthLike): string {
  const parts: string[] = [];
  for (const d of r.dkim?.results ?? []) if (d.info) parts.push(d.info);
  if (r.spf && r.spf.info) parts.push(r.spf.info);
  if (r.arc && r.arc.info) parts.push(r.arc.info);
  if (r.dmarc && r.dmarc.info) parts.push(r.dmarc.info);
  return formatHeader(authservId, parts.length ? parts : ['none']);
}

export function timedOutSummary(): AuthSummary {
  return { spf: 'temperror', dkim: 'temperror', dmarc: 'temperror', arc: 'temperror', fromDomain: null, dkimDomains: [], dmarcPolicy: null, action: 'deliver', timedOut: true };
}

export function timedOutHeader(authservId: string, timeoutMs: number): string {
  return temperrorHeader(authservId, `(verification not finished within ${timeoutMs} ms)`);
}

/** Verification itself failed (a message mailauth cannot read): we could not tell, which is temperror too. */
export function failedSummary(): AuthSummary {
  return { spf: 'temperror', dkim: 'temperror', dmarc: 'temperror', arc: 'temperror', fromDomain: null, dkimDomains: [], dmarcPolicy: null, action: 'deliver' };
}

export function temperrorHeader(authservId: string, why: string): string {
  return formatHeader(authservId, [`spf=temperror ${why}`, 'dkim=temperror', 'arc=temperror', 'dmarc=temperror']);
}

function formatHeader(authservId: string, parts: string[]): string {
  // No CR or LF may come from the message itself into our header's structure.
  const clean = parts.map((p) => p.replace(/\r\n|\r|\n/g, '\n').replace(/\n(?![ \t])/g, ' ').replace(/\n/g, '\r\n').trim());
  return `Authentication-Results: ${authservId};\r\n ${clean.join(';\r\n ')}\r\n`;
}
