import { connectionOptionsFor, internetHops, parseStaticRoutes, staticRouteFor, upstreamHops, recipientDomain, hopKey } from './next-hop';

describe('static routes', () => {
  it('parses domain=host:port lists with a wildcard and IPv6', () => {
    const r = parseStaticRoutes('example.org=127.0.0.1:2526, *=mx.test:25 ,v6.test=[::1]:2600,b.test=relay');
    expect(staticRouteFor('EXAMPLE.org.', r)).toEqual({ host: '127.0.0.1', port: 2526 });
    expect(staticRouteFor('v6.test', r)).toEqual({ host: '::1', port: 2600 });
    expect(staticRouteFor('b.test', r)).toEqual({ host: 'relay', port: 25 });
    expect(staticRouteFor('other.test', r)).toEqual({ host: 'mx.test', port: 25 });
    expect(staticRouteFor('x', parseStaticRoutes(''))).toBeNull();
  });
  it('refuses what it cannot read', () => {
    expect(() => parseStaticRoutes('nonsense')).toThrow(/STATIC_ROUTES/);
    expect(() => parseStaticRoutes('a=b:70000')).toThrow(/port/);
  });
});

describe('upstreamHops', () => {
  it('orders by priority (failover order) and maps TLS policies', () => {
    const hops = upstreamHops([
      { host: 'b', port: 25, priority: 20, tlsPolicy: 'none', pinnedCertPem: null },
      { host: 'a', port: 2525, priority: 10, tlsPolicy: 'verify', pinnedCertPem: null },
    ]);
    expect(hops.map((h) => [h.host, h.tls.kind])).toEqual([['a', 'verify'], ['b', 'none']]);
  });
});

describe('internetHops', () => {
  it('orders MX hosts by preference', () => {
    const r = internetHops('d.test', { kind: 'mx', records: [{ exchange: 'mx2.d.test', priority: 20 }, { exchange: 'MX1.d.test.', priority: 10 }] });
    expect('hops' in r && r.hops.map((h) => h.host)).toEqual(['mx1.d.test', 'mx2.d.test']);
  });
  it('falls back to the domain itself (A/AAAA) without MX', () => {
    const r = internetHops('d.test', { kind: 'no-mx' });
    expect('hops' in r && r.hops).toEqual([{ host: 'd.test', port: 25, tls: { kind: 'opportunistic' }, source: 'address' }]);
  });
  it('bounces a null MX (RFC 7505) and a missing domain, retries DNS errors', () => {
    expect(internetHops('d.test', { kind: 'mx', records: [{ exchange: '', priority: 0 }] })).toMatchObject({ failure: { reason: 'null-mx' } });
    expect(internetHops('d.test', { kind: 'mx', records: [{ exchange: '.', priority: 0 }] })).toMatchObject({ failure: { reason: 'null-mx' } });
    expect(internetHops('d.test', { kind: 'nxdomain' })).toMatchObject({ failure: { reason: 'no-such-domain' } });
    expect(internetHops('d.test', { kind: 'error', code: 'ETIMEOUT' })).toMatchObject({ failure: { reason: 'dns-temporary' } });
  });
});

describe('connectionOptionsFor', () => {
  const s = { heloName: 'mx.test', connectTimeoutMs: 1000, commandTimeoutMs: 2000 };
  it('requires verified TLS for "verify"', () => {
    const o = connectionOptionsFor({ host: 'ex.corp.test', port: 25, tls: { kind: 'verify' }, source: 'upstream' }, s);
    expect(o).toMatchObject({ requireTLS: true, name: 'mx.test', tls: { rejectUnauthorized: true, servername: 'ex.corp.test' } });
  });
  it('plain for "none", opportunistic for the internet', () => {
    expect(connectionOptionsFor({ host: 'h', port: 25, tls: { kind: 'none' }, source: 'upstream' }, s)).toMatchObject({ ignoreTLS: true });
    expect(connectionOptionsFor({ host: 'h', port: 25, tls: { kind: 'opportunistic' }, source: 'mx' }, s)).toMatchObject({ opportunisticTLS: true, tls: { rejectUnauthorized: false } });
  });
  it('recipientDomain and hopKey', () => {
    expect(recipientDomain('A@Ex.Test')).toBe('ex.test');
    expect(hopKey({ host: '::1', port: 25, tls: { kind: 'none' }, source: 'static' })).toBe('[::1]:25|none');
  });
});
