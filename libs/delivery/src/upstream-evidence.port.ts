import type { AttemptResult } from './delivery-outcome';
import type { NextHop } from './next-hop';

/**
 * Where real deliveries to a tenant's upstream report what they saw, so
 * continuity detection counts them beside its probes. Implemented by
 * libs/continuity; optional, so the delivery engine runs without it.
 * Must not throw or block: the delivery does not wait for it.
 */
export interface UpstreamEvidenceSink {
  recordDeliveryEvidence(tenantId: string, hop: Pick<NextHop, 'host' | 'port'>, result: AttemptResult): void;
}
export const UPSTREAM_EVIDENCE = Symbol('UPSTREAM_EVIDENCE');
