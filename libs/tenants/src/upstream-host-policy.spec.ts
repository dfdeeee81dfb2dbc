import { upstreamHostProblem } from './upstream-host-policy';

describe('upstreamHostProblem', () => {
  it.each(['mail.customer.example', 'Exchange.Customer.Example.', '203.0.113.10', '8.8.8.8', '2001:db8::25', '[2001:4860::1]'])('accepts %s', (host) => {
    expect(upstreamHostProblem(host)).toBeNull();
  });

  it.each([
    '127.0.0.1', '127.1.2.3', '10.0.0.5', '172.16.3.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '::1', '[::1]', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.1.2.3',
    'localhost', 'LOCALHOST.', 'db.localhost', 'redis', 'postgres', 'exchange.internal', 'mail.local', 'nas.home.arpa',
  ])('refuses %s', (host) => {
    expect(upstreamHostProblem(host)).toEqual(expect.any(String));
  });

  it('says why', () => {
    expect(upstreamHostProblem('169.254.169.254')).toBe('169.254.169.254 is not an address on the public internet');
    expect(upstreamHostProblem('redis')).toMatch(/not a fully qualified host name/);
  });
});
