import type { AttemptResult } from '@app/delivery/delivery-outcome';
import type { UpstreamTlsPolicy } from '@app/tenants';

export interface ProbeTarget {
  host: string;
  port: number;
  tlsPolicy: UpstreamTlsPolicy;
  pinnedCertPem: string | null;
  /** An operator approved private addresses for this upstream; otherwise only public addresses are connected to. */
  privateAddressAllowed: boolean;
}

export interface ProbeRequest {
  target: ProbeTarget;
  /** After EHLO, `MAIL FROM:<>` and `RCPT TO:<canary>` (then RSET): proves mailboxes are reachable, not only the front end. */
  canaryAddress: string | null;
  timeoutMs: number;
}

/**
 * What the probe saw: a connection-level failure, or the last reply it got
 * (a synthetic 250 when connect, EHLO and STARTTLS succeeded without a canary).
 */
export interface ProbeResult {
  result: AttemptResult;
  /** How far it got, for the operator. */
  stage: 'connect' | 'session' | 'mail' | 'rcpt';
  elapsedMs: number;
}

/** Probes one upstream: TCP connect, greeting, EHLO, STARTTLS under the upstream's TLS policy, optional canary RCPT. */
export interface UpstreamProber {
  probe(req: ProbeRequest): Promise<ProbeResult>;
}
export const UPSTREAM_PROBER = Symbol('UPSTREAM_PROBER');
