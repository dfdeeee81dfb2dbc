import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { Metrics } from '@app/observability';

/** Continuity's metrics, registered in the process's one registry (served at /metrics). */
@Injectable()
export class ContinuityMetrics {
  readonly tenantMode: Gauge<'tenant' | 'mode'>;
  readonly upstreamUp: Gauge<'tenant' | 'upstream'>;
  readonly probes: Counter<'outcome'>;
  readonly breakerOpen: Gauge;
  readonly breakerTrips: Counter;
  readonly operatorAlerts: Counter<'reason'>;
  readonly transitions: Counter<'to' | 'event'>;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.tenantMode = new Gauge({ name: 'mc_continuity_tenant_mode', help: '1 for the continuity mode each tenant is in', labelNames: ['tenant', 'mode'], registers });
    this.upstreamUp = new Gauge({ name: 'mc_upstream_up', help: 'Last probe or delivery evidence per upstream: 1 healthy, 0 failing', labelNames: ['tenant', 'upstream'], registers });
    this.probes = new Counter({ name: 'mc_upstream_probes_total', help: 'Upstream probes by what they showed', labelNames: ['outcome'], registers });
    this.breakerOpen = new Gauge({ name: 'mc_continuity_breaker_open', help: '1 while the circuit breaker holds automatic activations back', registers });
    this.breakerTrips = new Counter({ name: 'mc_continuity_breaker_trips_total', help: 'Times the circuit breaker tripped because many tenants failed at once', registers });
    this.operatorAlerts = new Counter({ name: 'mc_continuity_operator_alerts_total', help: 'Situations an operator must look at', labelNames: ['reason'], registers });
    this.transitions = new Counter({ name: 'mc_continuity_transitions_total', help: 'Committed continuity transitions', labelNames: ['to', 'event'], registers });
  }
}
