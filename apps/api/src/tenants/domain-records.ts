import { publishedIn } from '@app/dkim/dkim-keys';
import { VERIFICATION_PREFIX, verificationRecordValue } from '@app/tenants/domain-verification';

/**
 * The DNS records a tenant publishes for one of its domains, and how what DNS
 * answers now compares with them. Pure: the lookups happen elsewhere.
 */
export type DnsRecordPurpose = 'ownership' | 'mx' | 'spf' | 'dkim';

export interface DnsRecordToPublish {
  purpose: DnsRecordPurpose;
  type: 'TXT' | 'MX';
  /** Owner name, no trailing dot. */
  name: string;
  /** TXT text or MX exchange. */
  value: string;
  /** MX preference. */
  priority?: number;
  /** DKIM selector and the key's state. */
  selector?: string;
  keyState?: string;
  /** What the customer should do with it, in one sentence. */
  hint: string;
}

export type DnsRecordStatus = 'ok' | 'missing' | 'wrong' | 'error';

export interface DnsRecordCheck extends DnsRecordToPublish {
  status: DnsRecordStatus;
  /** What DNS holds at the name that bears on this record (TXT texts, or `<preference> <exchange>` for MX). */
  found: string[];
  message: string;
}

/** A lookup's answer: records, nothing (NXDOMAIN / NODATA: `[]`), or the failure code. */
export type Answer<T> = { ok: true; records: T[] } | { ok: false; error: string };

export interface DomainForRecords {
  name: string;
  verificationToken: string;
}

export interface DkimKeyForRecords {
  selector: string;
  state: string;
  /** The TXT record of the key: name and `v=DKIM1; k=…; p=…`. */
  record: { name: string; value: string };
}

export interface ServiceNames {
  /** Our MX host (MX_HOSTNAME). */
  mxHostname: string;
  /** The SPF include (SPF_INCLUDE_DOMAIN, default `_spf.<MX_HOSTNAME>`). */
  spfInclude: string;
}

export const MX_PREFERENCE = 10;

export function spfIncludeOf(cfg: { MX_HOSTNAME: string; SPF_INCLUDE_DOMAIN?: string }): string {
  return bare(cfg.SPF_INCLUDE_DOMAIN?.trim() || `_spf.${cfg.MX_HOSTNAME}`);
}

/** Ownership first (it gates everything), then MX, SPF and a TXT record per DKIM key that is not retired. */
export function recordsToPublish(domain: DomainForRecords, names: ServiceNames, dkimKeys: DkimKeyForRecords[]): DnsRecordToPublish[] {
  const out: DnsRecordToPublish[] = [
    { purpose: 'ownership', type: 'TXT', name: domain.name, value: verificationRecordValue(domain.verificationToken), hint: 'proves that you control the domain; keep it published' },
    { purpose: 'mx', type: 'MX', name: domain.name, value: bare(names.mxHostname), priority: MX_PREFERENCE, hint: 'replace every other MX record of the domain, so that all inbound mail passes through the service' },
    {
      purpose: 'spf',
      type: 'TXT',
      name: domain.name,
      value: `v=spf1 include:${names.spfInclude} ~all`,
      hint: `if the domain already has an SPF record, add include:${names.spfInclude} to it instead of publishing a second one`,
    },
  ];
  for (const k of dkimKeys) {
    if (k.state === 'retired') continue;
    out.push({
      purpose: 'dkim',
      type: 'TXT',
      name: k.record.name,
      value: k.record.value,
      selector: k.selector,
      keyState: k.state,
      hint: k.state === 'retiring' ? 'the previous key: keep it published until it is retired' : k.state === 'pending' ? 'publish it; the key signs mail once the record is seen' : 'keep it published',
    });
  }
  return out;
}

/** Compares one record with what DNS answered at its name (TXT answers for TXT records, MX answers for MX). */
export function checkRecord(record: DnsRecordToPublish, txt: Answer<string[]>, mx: Answer<{ exchange: string; priority: number }>): DnsRecordCheck {
  const answer = record.type === 'MX' ? mx : txt;
  if (!answer.ok) return { ...record, status: 'error', found: [], message: `the DNS lookup of ${record.name} failed (${answer.error}); try again later` };
  switch (record.purpose) {
    case 'ownership':
      return checkOwnership(record, texts(txt));
    case 'mx':
      return checkMx(record, (mx as { records: { exchange: string; priority: number }[] }).records);
    case 'spf':
      return checkSpf(record, texts(txt));
    case 'dkim':
      return checkDkim(record, (txt as { records: string[][] }).records);
  }
}

function checkOwnership(record: DnsRecordToPublish, found: string[]): DnsRecordCheck {
  const ours = found.filter((t) => t.startsWith(VERIFICATION_PREFIX));
  if (ours.includes(record.value)) return { ...record, status: 'ok', found: ours, message: 'the verification record is published' };
  if (ours.length) return { ...record, status: 'wrong', found: ours, message: `a verification record is published, but with another token; publish "${record.value}"` };
  return { ...record, status: 'missing', found: ours, message: `no TXT record "${record.value}" at ${record.name}` };
}

function checkMx(record: DnsRecordToPublish, answers: { exchange: string; priority: number }[]): DnsRecordCheck {
  // A null MX (RFC 7505) has the root as its exchange: shown as ".".
  const host = (m: { exchange: string }) => bare(m.exchange) || '.';
  const found = [...answers].sort((a, b) => a.priority - b.priority).map((m) => `${m.priority} ${host(m)}`);
  if (!answers.length) return { ...record, status: 'missing', found, message: `no MX record at ${record.name}; publish "${MX_PREFERENCE} ${record.value}"` };
  const ours = answers.filter((m) => bare(m.exchange).toLowerCase() === record.value.toLowerCase());
  const others = answers.filter((m) => !ours.includes(m)).map(host);
  if (!ours.length) return { ...record, status: 'wrong', found, message: `the MX records point to ${others.join(', ')}, not to ${record.value}` };
  if (others.length) return { ...record, status: 'wrong', found, message: `remove the other MX records (${others.join(', ')}): mail sent to them bypasses the service` };
  return { ...record, status: 'ok', found, message: `MX points to ${record.value}` };
}

function checkSpf(record: DnsRecordToPublish, found: string[]): DnsRecordCheck {
  const spf = found.filter((t) => /^v=spf1(\s|$)/i.test(t));
  const include = /include:(\S+)/.exec(record.value)?.[1] ?? '';
  if (!spf.length) return { ...record, status: 'missing', found: spf, message: `no SPF record at ${record.name}; publish "${record.value}"` };
  if (spf.length > 1) return { ...record, status: 'wrong', found: spf, message: 'there are several SPF records (receivers treat that as an error); merge them into one' };
  const mechanisms = spf[0].split(/\s+/).map((m) => m.replace(/^[+~?-]/, '').toLowerCase());
  if (!mechanisms.includes(`include:${include.toLowerCase()}`)) return { ...record, status: 'wrong', found: spf, message: `the SPF record does not include ${include}; add include:${include}` };
  return { ...record, status: 'ok', found: spf, message: `the SPF record includes ${include}` };
}

function checkDkim(record: DnsRecordToPublish, answers: string[][]): DnsRecordCheck {
  const found = answers.map((r) => r.join(''));
  const publicKey = /(?:^|;)\s*p=([^;]*)/.exec(record.value)?.[1]?.trim() ?? '';
  if (!answers.length) return { ...record, status: 'missing', found, message: `no TXT record at ${record.name}` };
  if (publishedIn(answers, publicKey)) return { ...record, status: 'ok', found, message: `the key of selector ${record.selector} is published` };
  return { ...record, status: 'wrong', found, message: `${record.name} holds another key; publish "${record.value}"` };
}

/** TXT answers as texts (character-strings joined, RFC 7208 §3.3). */
function texts(answer: Answer<string[]>): string[] {
  return answer.ok ? answer.records.map((r) => r.join('').trim()) : [];
}

function bare(name: string): string {
  return name.trim().replace(/\.$/, '');
}
