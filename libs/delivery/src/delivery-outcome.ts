/**
 * What happened at one attempt for one recipient, as the sender saw it: an SMTP
 * reply, a failure to talk to any next hop, or a routing verdict.
 */
export type AttemptResult =
  | { kind: 'reply'; code: number; enhanced: string | null; text: string }
  | { kind: 'connection'; errorCode: string; message: string }
  | { kind: 'route'; reason: RouteFailure; message: string };

/**
 * Routing verdicts reached before any SMTP: RFC 7505 null MX, a domain that does not exist, DNS trouble, no upstream,
 * no MX host an MTA-STS policy allows, an upstream that is (or resolves to) a non-public address nobody approved.
 */
export type RouteFailure = 'null-mx' | 'no-such-domain' | 'dns-temporary' | 'no-upstream' | 'mta-sts' | 'upstream-not-public';

export type DeliveryOutcome = 'delivered' | 'retry' | 'bounce';

/**
 * How soon a retry comes:
 *  backoff    the exponential schedule
 *  greylist   a short fixed delay (the greylister wants to see us again after a few minutes, not in an hour)
 *  slow-down  the destination asked us to send less: at least the slow-down period, and fewer connections meanwhile
 */
export type RetryHint = 'backoff' | 'greylist' | 'slow-down';

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
  /** For retries: how soon (default backoff). */
  retry?: RetryHint;
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
  // Greylisting and rate limits are named by their text first: hosts word them better than they code them.
  { name: 'greylisted-text', match: { kind: 'reply', codeClass: 4, text: /gr[ae]y ?list/i }, outcome: 'retry', status: '4.7.1', retry: 'greylist' },
  {
    name: 'rate-limited-text',
    match: { kind: 'reply', codeClass: 4, text: /rate.?limit|unusual rate|too many (messages|mails|connections)|throttl|slow down|sending rate|exceeded .*(rate|limit)/i },
    outcome: 'retry',
    status: '4.7.0',
    retry: 'slow-down',
  },
  // 421 4.7.0 (Gmail, Microsoft "try again later") and 450 4.7.1 "try later": the destination wants less from us.
  { name: 'rate-limited-421', match: { kind: 'reply', codes: [421], enhanced: /^4\.7\.\d+$/ }, outcome: 'retry', status: '4.7.0', retry: 'slow-down' },
  { name: 'rate-limited-450', match: { kind: 'reply', codes: [450], enhanced: /^4\.7\.1$/ }, outcome: 'retry', status: '4.7.1', retry: 'slow-down' },
  // 451 4.7.1 is how greylisters answer a first attempt; any other 4.7.x policy deferral gets the same short retry.
  { name: 'greylisted-451', match: { kind: 'reply', codes: [451], enhanced: /^4\.7\.1$/ }, outcome: 'retry', status: '4.7.1', retry: 'greylist' },
  { name: 'policy-deferral', match: { kind: 'reply', codeClass: 4, enhanced: /^4\.7\.\d+$/ }, outcome: 'retry', status: '4.7.0', retry: 'greylist' },
  { name: 'temporary-reply', match: { kind: 'reply', codeClass: 4 }, outcome: 'retry', status: '4.0.0' },
  { name: 'permanent-reply', match: { kind: 'reply', codeClass: 5 }, outcome: 'bounce', status: '5.0.0' },
  { name: 'null-mx', match: { kind: 'route', routes: ['null-mx'] }, outcome: 'bounce', status: '5.1.10' },
  { name: 'no-such-domain', match: { kind: 'route', routes: ['no-such-domain'] }, outcome: 'bounce', status: '5.1.2' },
  { name: 'dns-temporary', match: { kind: 'route', routes: ['dns-temporary'] }, outcome: 'retry', status: '4.4.3' },
  { name: 'no-upstream', match: { kind: 'route', routes: ['no-upstream'] }, outcome: 'retry', status: '4.4.0' },
  // A configuration error on the tenant's side (its upstream's name points into a private network): the mail waits until it is fixed.
  { name: 'upstream-not-public', match: { kind: 'route', routes: ['upstream-not-public'] }, outcome: 'retry', status: '4.4.4' },
  // RFC 8461 §5: under an enforced policy, mail waits rather than going to an MX host the policy does not name.
  { name: 'mta-sts-no-valid-mx', match: { kind: 'route', routes: ['mta-sts'] }, outcome: 'retry', status: '4.7.5' },
  // Our own per-destination limit was full for the whole wait: try later, like a busy destination.
  { name: 'destination-busy', match: { kind: 'connection', errorCodes: ['ETHROTTLED'] }, outcome: 'retry', status: '4.4.5' },
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
  /** For retries: how soon the next attempt comes. */
  retry: RetryHint;
}

export function classifyAttempt(result: AttemptResult, rules: OutcomeRule[] = OUTCOME_RULES): Classification {
  const rule = rules.find((r) => matches(r.match, result)) ?? FALLBACK;
  let status = rule.status ?? '4.0.0';
  // The next hop's own enhanced code is the better report, as long as its class agrees with our verdict.
  if (result.kind === 'reply' && result.enhanced) {
    const cls = rule.outcome === 'bounce' ? '5' : rule.outcome === 'retry' ? '4' : '2';
    status = result.enhanced[0] === cls ? result.enhanced : `${cls}${result.enhanced.slice(1)}`;
  }
  return { outcome: rule.outcome, status, rule: rule.name, retry: rule.retry ?? 'backoff' };
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
