import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, with the service's own metrics beside Node's defaults. */
export class Metrics {
  readonly registry = new Registry();

  readonly accepted = new Counter({ name: 'mc_messages_accepted_total', help: 'Messages answered 250 by the MX', labelNames: ['direction'], registers: [this.registry] });
  readonly rejected = new Counter({ name: 'mc_smtp_rejected_total', help: 'SMTP refusals by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly acceptLatency = new Histogram({
    name: 'mc_accept_seconds', help: 'From end of DATA to the 250 reply', registers: [this.registry],
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
  });
  readonly deliveryAttempts = new Counter({ name: 'mc_delivery_attempts_total', help: 'Per-recipient delivery outcomes', labelNames: ['route_kind', 'outcome'], registers: [this.registry] });
  readonly deliveryLatency = new Histogram({
    name: 'mc_delivery_latency_seconds', help: 'From acceptance to delivery, per recipient', labelNames: ['route_kind'], registers: [this.registry],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
  });
  readonly queueDepth = new Gauge({ name: 'mc_queue_depth', help: 'Deliveries not yet final, by state', labelNames: ['state'], registers: [this.registry] });
  readonly mirrorLag = new Histogram({
    name: 'mc_mirror_lag_seconds', help: 'From acceptance to an indexed mirror entry', registers: [this.registry],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
  });
  readonly smtpSessions = new Gauge({ name: 'mc_smtp_sessions', help: 'Open SMTP sessions', registers: [this.registry] });

  constructor(app: string) {
    this.registry.setDefaultLabels({ app });
    collectDefaultMetrics({ register: this.registry });
  }
}
