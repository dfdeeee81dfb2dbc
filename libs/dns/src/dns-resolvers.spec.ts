import { newResolver, parseDnsServers, useDnsServers } from './dns-resolvers';

describe('DNS servers setting', () => {
  afterEach(() => useDnsServers(undefined));

  it('accepts addresses with and without ports', () => {
    expect(parseDnsServers('127.0.0.1:5353, ::1 ,[::1]:53')).toEqual(['127.0.0.1:5353', '::1', '[::1]:53']);
  });

  it('refuses host names, which would need DNS to find DNS', () => {
    expect(() => parseDnsServers('dns.example')).toThrow(/not an IP address/);
  });

  it('gives new resolvers the configured servers, and the system ones when unset', () => {
    useDnsServers('127.0.0.1:5353');
    expect(newResolver({ timeoutMs: 100 }).getServers()).toEqual(['127.0.0.1:5353']);
    useDnsServers('');
    expect(newResolver({ timeoutMs: 100 }).getServers()).not.toEqual(['127.0.0.1:5353']);
  });
});
