import { canonicalClientAddress, parseCidr } from './source-address';

describe('source addresses', () => {
  it('compares IPv4 clients on dual-stack sockets as IPv4', () => {
    expect(canonicalClientAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalClientAddress('2001:DB8::1')).toBe('2001:db8::1');
    expect(canonicalClientAddress('not an ip')).toBeNull();
    expect(canonicalClientAddress(undefined)).toBeNull();
  });

  it('accepts hosts and networks in canonical form', () => {
    expect(parseCidr('192.0.2.7')).toEqual({ ok: true, cidr: '192.0.2.7/32' });
    expect(parseCidr(' 192.0.2.0/28 ')).toEqual({ ok: true, cidr: '192.0.2.0/28' });
    expect(parseCidr('2001:DB8::/64')).toEqual({ ok: true, cidr: '2001:db8::/64' });
    expect(parseCidr('127.0.0.1/32')).toEqual({ ok: true, cidr: '127.0.0.1/32' });
  });

  it('refuses typos, host bits and networks too wide to trust', () => {
    expect(parseCidr('192.0.2.7/24')).toEqual({ ok: false, reason: expect.stringContaining('did you mean 192.0.2.0/24') });
    expect(parseCidr('0.0.0.0/0')).toMatchObject({ ok: false, reason: expect.stringContaining('too wide') });
    expect(parseCidr('::/0')).toMatchObject({ ok: false });
    expect(parseCidr('mail.example.com')).toMatchObject({ ok: false });
    expect(parseCidr('192.0.2.0/33')).toMatchObject({ ok: false });
    expect(parseCidr('192.0.2.0/2a')).toMatchObject({ ok: false });
  });
});
