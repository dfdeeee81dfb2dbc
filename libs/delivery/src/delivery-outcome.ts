/**
 * What happened at one attempt for one recipient, as the sender saw it: an SMTP
 * reply, a failure to talk to any next hop, or a routing verdict.
 */
export type AttemptResult =
  | { kind: 'reply'; code: number; enhanced: string | null; text: string }
  | { kind: 'connection'; errorCode: string; message: string }
  | { kind: 'route'; reason: RouteFailure; message: string };

/** Routing verdicts reached before any SMTP: RFC 7505 null MX, a domain that does not exist, DNS trouble, no upstream. */
export type RouteFailure = 'null-mx' | 'no-such-domain' | 'dns-temporary' | 'no-upstream';

export type DeliveryOutcome = 'delivered' | 'retry' | 'bounce';

interface Match {
  kind?: AttemptResult['kind'];
  codes?: number[];
  codeClass?: 2 | 4 | 5;
  enhanced?: RegExp;
  text?: RegExp;
  errorCodes?: string[];
  routes?: RouteFailure[];
}

export interface OutcomeRule {
  name: string;
  match: Match;
  outcome: DeliveryOutcome;
  /** The RFC 3463 status to report when the reply carries none. */
  status?: string;
}

/**
 * The classifier is this table (as ZoneMTA keeps its bounce rules as data):
 * the first rule that matches decides. Order matters; unknown failures
 * retry, because a wrong retry costs a delay but a wrong bounce loses mail.
 */
export const OUTCOME_RULES: OutcomeRule[] = [
  { name: 'accepted', match: { kind: 'reply', codeClass: 2 }, outcome: 'delivered', status: '2.0.0' },
  // RFC 5321 §4.5.3.1.10: 552 to RCPT means "too many recipients" and is to be treated as 452.
  { name: 'too-many-recipients-552', match: { kind: 'reply', codes: [552], enhanced: /^5\.5\.3$/ }, outcome: 'retry', status: '4.5.3' },
  // A full mailbox empties; Exchange and most hosts answer 552 5.2.2 for it.
  { name: 'mailbox-full', match: { kind: 'reply', codeClass: 5, enhanced: /^5\.2\.2$/ }, outcome: 'retry', status: '4.2.2' },
  { name: 'mailbox-full-text', match: { kind: 'reply', codes: [552], text: /(mailbox|quota).*(full|exceeded)|over quota/i }, outcome: 'retry', status: '4.2.2' },
  { name: 'temporary-reply', match: { kind: 'reply', codeClass: 4 }, outcome: 'retry', status: '4.0.0' },
  { name: 'permanent-reply', match: { kind: 'reply', codeClass: 5 }, outcome: 'bounce', status: '5.0.0' },
  { name: 'null-mx', match: { kind: 'route', routes: ['null-mx'] }, outcome: 'bounce', status: '5.1.10' },
  { name: 'no-such-domain', match: { kind: 'route', routes: ['no-such-domain'] }, outcome: 'bounce', status: '5.1.2' },
  { name: 'dns-temporary', match: { kind: 'route', routes: ['dns-temporary'] }, outcome: 'retry', status: '4.4.3' },
  { name: 'no-upstream', match: { kind: 'route', routes: ['no-upstream'] }, outcome: 'retry', status: '4.4.0' },
  { name: 'tls-failure', match: { kind: 'connection', errorCodes: ['ETLS'] }, outcome: 'retry', status: '4.7.5' },
  { name: 'timeout', match: { kind: 'connection', errorCodes: ['ETIMEDOUT'] }, outcome: 'retry', status: '4.4.1' },
  { name: 'connection-failure', match: { kind: 'connection' }, outcome: 'retry', status: '4.4.2' },
];

const FALLBACK: OutcomeRule = { name: 'unknown', match: {}, outcome: 'retry', status: '4.0.0' };

function matches(m: Match, r: AttemptResult): boolean {
  if (m.kind && m.kind !== r.kind) return false;
  if (r.kind === 'reply') {
    if (m.codes && !m.codes.includes(r.code)) return false;
    if (m.codeClass && Math.floor(r.code / 100) !== m.codeClass) return false;
    if (m.enhanced && !(r.enhanced && m.enhanced.test(r.enhanced))) return false;
    if (m.text && !m.text.test(r.text)) return false;
  } else if (m.codes || m.codeClass || m.enhanced || m.text) {
    return false;
  }
  if (m.errorCodes && !(r.kind === 'connection' && m.errorCodes.includes(r.errorCode))) return false;
  if (m.routes && !(r.kind === 'route' && m.routes.includes(r.reason))) return false;
  return true;
}

export interface Classification {
  outcome: DeliveryOutcome;
  /** RFC 3463 status for the DSN and the operator. */
  status: string;
  rule: string;
}

export function classifyAttempt(result: AttemptResult, rules: OutcomeRule[] = OUTCOME_RULES): Classification {
  const rule = rules.find((r) => matches(r.match, result)) ?? FALLBACK;
  let status = rule.status ?? '4.0.0';
  // The next hop's own enhanced code is the better report, as long as its class agrees with our verdict.
  if (result.kind === 'reply' && result.enhanced) {
    const cls = rule.outcome === 'bounce' ? '5' : rule.outcome === 'retry' ? '4' : '2';
    status = result.enhanced[0] === cls ? result.enhanced : `${cls}${result.enhanced.slice(1)}`;
  }
  return { outcome: rule.outcome, status, rule: rule.name };
}

/** The one-line form kept in deliveries.last_reply. */
export function describeAttempt(result: AttemptResult): string {
  switch (result.kind) {
    case 'reply':
      return [result.code, result.enhanced, result.text].filter((p) => p !== null && p !== '').join(' ');
    case 'connection':
      return `${result.errorCode}: ${result.message}`;
    case 'route':
      return `${result.reason}: ${result.message}`;
  }
}
