import { mergeSameHops, RouteGroup } from './route-planner.service';
import type { ClaimedDelivery } from './delivery.store';

const row = (recipient: string): ClaimedDelivery => ({ id: recipient, tenantId: 't', messageId: 'm', recipient, routeKind: 'internet', attempts: 0, expiresAt: new Date(), lastReply: null, lastRoute: null, lastAttemptAt: null });
const hop = (host: string) => ({ host, port: 25, tls: { kind: 'opportunistic' as const }, source: 'mx' as const });

describe('mergeSameHops', () => {
  it('puts domains that resolve to the same hops into one transaction and keeps others apart', () => {
    const groups: RouteGroup[] = [
      { kind: 'hops', hops: [hop('mx.a')], recipients: [row('x@a.test')] },
      { kind: 'hops', hops: [hop('mx.b')], recipients: [row('y@b.test')] },
      { kind: 'hops', hops: [hop('mx.a')], recipients: [row('z@alias-of-a.test')] },
      { kind: 'failed', failure: { kind: 'route', reason: 'null-mx', message: '' }, recipients: [row('n@null.test')] },
    ];
    const merged = mergeSameHops(groups);
    expect(merged.map((g) => g.recipients.map((r) => r.recipient))).toEqual([['x@a.test', 'z@alias-of-a.test'], ['y@b.test'], ['n@null.test']]);
  });
});
