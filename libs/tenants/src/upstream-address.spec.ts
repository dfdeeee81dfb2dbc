import { HostAddresses, planUpstreamConnection } from './upstream-address';
import { isPublicAddress } from './upstream-host-policy';

/** A resolver that answers from a table and counts the questions asked. */
function addressesFrom(table: Record<string, string[] | NodeJS.ErrnoException>): HostAddresses & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async addressesOf(host: string) {
      asked.push(host);
      const a = table[host];
      if (a === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      if (a instanceof Error) throw a;
      return a;
    },
  };
}

describe('isPublicAddress', () => {
  it.each(['203.0.113.10', '8.8.8.8', '2001:db8::25', '2a00:1450:4001:82a::200e', '::ffff:8.8.8.8', '[2001:4860::1]'])('%s is public', (a) => {
    expect(isPublicAddress(a)).toBe(true);
  });

  it.each([
    '127.0.0.1', '10.0.0.5', '172.16.3.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
    '::1', '::', 'fd00::1', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:a9fe:a9fe', 'not-an-address', '',
  ])('%s is not', (a) => {
    expect(isPublicAddress(a)).toBe(false);
  });
});

describe('planUpstreamConnection', () => {
  const tenant = (host: string) => ({ host, privateAddressAllowed: false });

  it('connects to exactly the addresses a public name resolves to', async () => {
    const dns = addressesFrom({ 'mail.customer.example': ['203.0.113.10', '2001:db8::25'] });
    expect(await planUpstreamConnection(tenant('mail.customer.example'), dns)).toEqual({ kind: 'addresses', addresses: ['203.0.113.10', '2001:db8::25'] });
  });

  it.each([
    ['loopback', ['127.0.0.1'], '127.0.0.1'],
    ['a private network', ['10.1.2.3'], '10.1.2.3'],
    ['the metadata service', ['169.254.169.254'], '169.254.169.254'],
    ['the IPv6 loopback', ['::1'], '::1'],
    ['an IPv4-mapped loopback', ['::ffff:127.0.0.1'], '::ffff:127.0.0.1'],
    ['one private address among public ones', ['203.0.113.10', '192.168.0.7'], '192.168.0.7'],
  ])('refuses a name that resolves to %s', async (_what, addresses, bad) => {
    const plan = await planUpstreamConnection(tenant('evil.example.com'), addressesFrom({ 'evil.example.com': addresses }));
    expect(plan).toEqual({ kind: 'refused', address: bad, message: `upstream evil.example.com resolves to a non-public address ${bad}; refused` });
  });

  it('refuses a non-public IP address nobody approved, without asking DNS', async () => {
    const dns = addressesFrom({});
    expect(await planUpstreamConnection(tenant('127.0.0.1'), dns)).toEqual({ kind: 'refused', address: '127.0.0.1', message: 'upstream 127.0.0.1 is a non-public address; refused' });
    expect(await planUpstreamConnection(tenant('[::1]'), dns)).toMatchObject({ kind: 'refused', address: '::1' });
    expect(await planUpstreamConnection(tenant('203.0.113.10'), dns)).toEqual({ kind: 'as-named' });
    expect(dns.asked).toEqual([]);
  });

  it('leaves an upstream an operator approved for private addresses as it is named', async () => {
    const dns = addressesFrom({ 'exchange.internal': ['10.8.0.5'] });
    expect(await planUpstreamConnection({ host: 'exchange.internal', privateAddressAllowed: true }, dns)).toEqual({ kind: 'as-named' });
    expect(await planUpstreamConnection({ host: '10.8.0.5', privateAddressAllowed: true }, dns)).toEqual({ kind: 'as-named' });
    expect(dns.asked).toEqual([]);
  });

  it('treats a name without addresses, or DNS trouble, like an unreachable server', async () => {
    const dns = addressesFrom({ 'broken.example': Object.assign(new Error('servfail'), { code: 'ESERVFAIL' }), 'empty.example': [] });
    expect(await planUpstreamConnection(tenant('gone.example'), dns)).toEqual({ kind: 'unresolved', code: 'ENOTFOUND', message: 'cannot resolve upstream gone.example: ENOTFOUND' });
    expect(await planUpstreamConnection(tenant('broken.example'), dns)).toMatchObject({ kind: 'unresolved', code: 'ESERVFAIL' });
    expect(await planUpstreamConnection(tenant('empty.example'), dns)).toMatchObject({ kind: 'unresolved', code: 'ENODATA' });
  });

  it('gives up on a lookup that does not answer in time', async () => {
    const hanging: HostAddresses = { addressesOf: () => new Promise(() => undefined) };
    expect(await planUpstreamConnection(tenant('slow.example'), hanging, 20)).toEqual({ kind: 'unresolved', code: 'ETIMEDOUT', message: 'cannot resolve upstream slow.example: ETIMEDOUT' });
  });
});
