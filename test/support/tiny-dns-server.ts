export { DnsStandin as TinyDnsServer } from '../../infra/dns-standin/dns-standin';
