import { createSocket, Socket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * A DNS server of ours that answers TXT, MX, A and AAAA queries from tables, over real UDP, so the
 * node:dns adapter is exercised as in production. Names absent from the
 * table get NXDOMAIN; names mapped to 'servfail' get SERVFAIL. It stands in for
 * the local caching resolver an MTA host runs, for tests and benchmarks that
 * must not wait on (or depend on) the machine's own resolver.
 */
export class DnsStandin {
  readonly txt = new Map<string, string[][] | 'servfail'>();
  /** MX answers by name (a name in either table exists; other types at it get an empty answer). */
  readonly mx = new Map<string, Array<{ priority: number; exchange: string }>>();
  /** Addresses by name, IPv4 and IPv6 mixed: A queries get the IPv4 ones, AAAA the IPv6 ones. */
  readonly addresses = new Map<string, string[]>();
  private socket: Socket | null = null;

  async start(): Promise<string> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg, rinfo) => socket.send(this.answer(msg), rinfo.port, rinfo.address));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return `127.0.0.1:${socket.address().port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
  }

  private answer(query: Buffer): Buffer {
    const labels: string[] = [];
    let i = 12;
    while (query[i] !== 0) {
      labels.push(query.subarray(i + 1, i + 1 + query[i]).toString('ascii'));
      i += query[i] + 1;
    }
    const questionEnd = i + 5;
    const qtype = query.readUInt16BE(i + 1);
    const name = labels.join('.').toLowerCase();
    const entry = this.txt.get(name);
    const mx = this.mx.get(name);
    const addresses = this.addresses.get(name);
    const rcode = entry === 'servfail' ? 2 : entry === undefined && mx === undefined && addresses === undefined ? 3 : 0;
    const rdatas: Buffer[] =
      rcode !== 0 ? []
      : qtype === 16 ? ((entry as string[][] | undefined) ?? []).map((strings) => Buffer.concat(strings.map((s) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]))))
      : qtype === 15 ? (mx ?? []).map((m) => Buffer.concat([Buffer.from([m.priority >> 8, m.priority & 0xff]), encodeName(m.exchange)]))
      : qtype === 1 ? (addresses ?? []).filter((a) => isIPv4(a)).map((a) => Buffer.from(a.split('.').map(Number)))
      : qtype === 28 ? (addresses ?? []).filter((a) => isIPv6(a)).map(ipv6Bytes)
      : [];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | rcode, 2); // response, recursion desired and available
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(rdatas.length, 6);
    const records = rdatas.map((rdata) => {
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      rr.writeUInt16BE(qtype, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([rr, rdata]);
    });
    return Buffer.concat([header, query.subarray(12, questionEnd), ...records]);
  }
}

/** A domain name in wire form (uncompressed labels, then the root). */
function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([Buffer.byteLength(l)]), Buffer.from(l)])), Buffer.from([0])]);
}

/** The 16 octets of an IPv6 address. */
function ipv6Bytes(address: string): Buffer {
  // An embedded IPv4 address (::ffff:127.0.0.1) is the last two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    address = `${address.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return Buffer.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}
